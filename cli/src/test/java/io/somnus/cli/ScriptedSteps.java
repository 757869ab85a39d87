package io.somnus.cli;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.CurateActivity;
import io.somnus.activities.FactState;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.PromoteActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.RollbackActivity;
import io.somnus.activities.StepImplementations;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import io.somnus.infra.StepsFactory;
import io.somnus.store.Lineage;
import io.somnus.store.MetricPoint;
import io.somnus.store.RunStatus;
import io.somnus.store.Tracking;
import io.temporal.activity.Activity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Stand-in model steps for CLI tests: two unconsolidated facts, a training step that heartbeats until
 * the test opens {@link #trainGate}, an approved candidate, and a promote that moves an in-memory
 * live pointer. The report writes a real tracking run through the worker's services, so
 * {@code somnus runs} has something to list.
 */
final class ScriptedSteps {
  static final String BASE = "mv-00000000000000b0";
  static final String CANDIDATE = "mv-00000000000000c1";

  final CountDownLatch trainGate = new CountDownLatch(1);
  final CountDownLatch trainStarted = new CountDownLatch(1);
  volatile String live = BASE;
  volatile String previous;

  private final List<FactState> facts = List.of(
      new FactState("f-ada", "Ada", "lives in", "Paris", "e1", 0, 1f, 0.9, null),
      new FactState("f-bo", "Bo", "works as", "baker", "e1", 0, 1f, 0.8, null));

  StepsFactory factory() {
    return services -> {
      HealthCheckActivity health = in -> new HealthCheckActivity.Report(live, facts.size(), facts.size(), 10.0);
      CurateActivity curate = in -> new CurateActivity.Result(facts.stream().map(FactState::factId).toList(), facts.size(), 0);
      AuditActivity audit = in -> new AuditActivity.Report(facts.size(), facts.size(), List.of(), 0.85, facts);
      NullSpaceRefreshActivity refresh = in -> { throw new IllegalStateException("no degraded facts in this script"); };
      TrainLoraActivity train = in -> {
        trainStarted.countDown();
        try {
          int step = 0;
          while (!trainGate.await(100, TimeUnit.MILLISECONDS)) Activity.getExecutionContext().heartbeat(new io.somnus.activities.StepProgress("training", ++step, 100, 1.0));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        return new TrainLoraActivity.Result("sha256/" + "ab".repeat(32), 20, 2.0, 0.5, false, 20);
      };
      FuseToTempActivity fuse = in -> new FuseToTempActivity.Result(CANDIDATE);
      ValidateActivity validate = in -> {
        List<FactState> after = new ArrayList<>();
        for (FactState f : facts) after.add(f.withStage(1, 0.5f));
        return new ValidateActivity.Result(true, in.candidateVersionId(), 0.85, 0.95, 10.0, 10.2, 2, 0, List.of(), after,
            Map.of(), List.of());
      };
      PromoteActivity promote = in -> {
        previous = live;
        live = in.versionId();
        return new PromoteActivity.Result(PromoteActivity.Status.PROMOTED, live, previous, null);
      };
      RollbackActivity rollback = in -> {
        String from = live;
        live = in.targetVersionId() != null ? in.targetVersionId() : previous;
        return new RollbackActivity.Result(from, live);
      };
      ReportActivity report = in -> {
        Tracking t = services.tracking();
        String run = t.startRun(services.experiment(), in.runId(), Map.of(Lineage.RUN_ID_TAG, in.runId(),
            Lineage.MODEL_VERSION_TAG, in.modelVersion() == null ? "" : in.modelVersion()));
        List<MetricPoint> points = new ArrayList<>();
        in.metrics().forEach((k, v) -> points.add(new MetricPoint(k, v, 0, System.currentTimeMillis())));
        t.logMetrics(run, points);
        t.endRun(run, RunStatus.FINISHED);
        return new ReportActivity.Result(run, in.facts().size());
      };
      io.somnus.activities.RebaseActivity rebase = in -> { throw new IllegalStateException("nothing is taught during this script's sleep"); };
      return new StepImplementations(health, curate, audit, refresh, train, fuse, validate, rebase, promote, rollback, report);
    };
  }
}
