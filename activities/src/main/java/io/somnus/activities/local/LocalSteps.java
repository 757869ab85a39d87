package io.somnus.activities.local;

import io.somnus.activities.StepImplementations;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.Tracking;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * The real step implementations: the engine for model work, the model store for versions, edits,
 * adapters and the fact ledger, and a tracking store for runs. One worker process builds them once.
 */
public final class LocalSteps {
  private LocalSteps() {}

  /**
   * @param experiment tracking experiment of the model, e.g. "somnus-default"
   * @param workDir local scratch: materialised checkpoints are cached under {@code versions/<id>}
   */
  public static StepImplementations create(ModelRegistry registry, FactLedger ledger, Tracking tracking,
      String experiment, Path workDir, LocalStepSettings settings) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(ledger, "ledger");
    Objects.requireNonNull(tracking, "tracking");
    Objects.requireNonNull(experiment, "experiment");
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(settings, "settings");
    StepJournal journal = new StepJournal(registry.store());
    VersionStates states = new VersionStates(registry, ledger, workDir);
    ModelSteps model = new ModelSteps(registry.store(), states, journal, settings);
    BookkeepingSteps books = new BookkeepingSteps(registry, ledger, tracking, experiment, states, journal, Clock.systemUTC());
    return new StepImplementations(model.new Health(registry), books.new Curate(), model.new Audit(), model.new Refresh(),
        model.new Train(), model.new FuseStep(), model.new Validate(), books.new Promote(), books.new Rollback(),
        books.new Report());
  }
}
