package io.somnus.activities.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.somnus.activities.StepImplementations;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ObjectStore;
import io.somnus.store.RegistryMirror;
import io.somnus.store.RunTracker;
import io.somnus.store.Tracking;
import io.somnus.store.VersionStates;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The real step implementations: the engine for model work, the model store for versions, edits, adapters and the
 * fact ledger, and a tracking store for runs. One worker process builds them once.
 */
public final class LocalSteps {
  private LocalSteps() {}

  /**
   * A run that began and never reported, e.g. a sleep cut off when the embedded Temporal service stopped.
   *
   * @param request the request it was started with, as JSON
   */
  public record UnfinishedRun(String runId, JsonNode request, Instant started) {}

  /**
   * @param experiment tracking experiment of the model, e.g. "somnus-default"
   * @param modelId the model's name in the tracking server's model registry
   * @param workDir local scratch: materialised checkpoints are cached under {@code versions/<id>}
   */
  public static StepImplementations create(ModelRegistry registry, FactLedger ledger, Tracking tracking,
      String experiment, String modelId, Path workDir, LocalStepSettings settings) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(ledger, "ledger");
    Objects.requireNonNull(tracking, "tracking");
    Objects.requireNonNull(experiment, "experiment");
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(settings, "settings");
    StepJournal journal = new StepJournal(registry.store());
    RunTracker runs = new RunTracker(tracking, experiment);
    StepServices steps = new StepServices(new VersionStates(registry, ledger, workDir), journal, settings, runs,
        new RegistryMirror(registry, tracking, modelId, experiment));
    return new StepImplementations(new HealthCheckActivityImpl(steps), new CurateActivityImpl(steps),
        new AuditActivityImpl(steps), new NullSpaceRefreshActivityImpl(steps), new TrainLoraActivityImpl(steps),
        new FuseToTempActivityImpl(steps), new ValidateActivityImpl(steps), new RebaseActivityImpl(steps),
        new PromoteActivityImpl(steps), new RollbackActivityImpl(steps),
        new ReportActivityImpl(ledger, registry, runs, journal, Clock.systemUTC()));
  }

  /**
   * The recall checks of one training attempt of a run ({@code attempt} 0 for the first candidate), if that attempt
   * trained and recorded them.
   */
  public static Optional<TrainingChecks> trainingChecks(ObjectStore store, String runId, int attempt) {
    return new StepJournal(store).find(runId, StepServices.attemptStep(TrainingChecks.STEP, attempt), TrainingChecks.class);
  }

  /** Runs in {@code store} that recorded their request and never reported, oldest first. */
  public static List<UnfinishedRun> unfinishedRuns(ObjectStore store) {
    return new StepJournal(store).unfinishedRuns();
  }
}
