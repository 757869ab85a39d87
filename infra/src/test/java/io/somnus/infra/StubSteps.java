package io.somnus.infra;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.FactState;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.StepImplementations;
import io.somnus.store.Lineage;
import io.somnus.store.MetricPoint;
import io.somnus.store.RunStatus;
import io.somnus.store.Tracking;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Steps enough for a nap, over the worker's real services: the health check reads the registry's
 * aliases from the embedded S3 server and the report writes a tracking run, so a nap through the
 * stack proves the worker got working connections. Model steps are not needed here.
 */
final class StubSteps {
  private StubSteps() {}

  static StepsFactory factory(List<FactState> facts) {
    return services -> {
      HealthCheckActivity health = in -> {
        String live = services.registry().aliases().live();
        return new HealthCheckActivity.Report(live == null ? "none" : live, facts.size(), facts.size(), 12.5);
      };
      AuditActivity audit = in -> {
        List<String> degraded = new ArrayList<>();
        for (FactState f : facts) if (f.rawRecall() != null && f.rawRecall() < in.recallThreshold()) degraded.add(f.factId());
        double mean = facts.stream().mapToDouble(f -> f.rawRecall() == null ? 0 : f.rawRecall()).average().orElse(0);
        return new AuditActivity.Report(facts.size(), facts.size() - degraded.size(), degraded, mean, facts);
      };
      ReportActivity report = in -> {
        Tracking t = services.tracking();
        String run = t.startRun(services.experiment(), in.runId(), Map.of(Lineage.RUN_ID_TAG, in.runId(), "kind", in.kind()));
        t.logParams(run, in.params());
        List<MetricPoint> points = new ArrayList<>();
        long now = System.currentTimeMillis();
        in.metrics().forEach((k, v) -> points.add(new MetricPoint(k, v, 0, now)));
        t.logMetrics(run, points);
        t.endRun(run, RunStatus.FINISHED);
        return new ReportActivity.Result(run, 0);
      };
      return new StepImplementations(health, in -> { throw new UnsupportedOperationException("curate"); }, audit,
          in -> { throw new UnsupportedOperationException("refresh"); },
          in -> { throw new UnsupportedOperationException("train"); },
          in -> { throw new UnsupportedOperationException("fuse"); },
          in -> { throw new UnsupportedOperationException("validate"); },
          in -> { throw new UnsupportedOperationException("rebase"); },
          in -> { throw new UnsupportedOperationException("promote"); },
          in -> { throw new UnsupportedOperationException("rollback"); }, report);
    };
  }
}
