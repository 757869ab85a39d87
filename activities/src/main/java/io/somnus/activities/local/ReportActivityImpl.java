package io.somnus.activities.local;

import io.somnus.activities.ReportActivity;
import io.somnus.store.FactLedger;
import io.somnus.store.Lineage;
import io.somnus.store.MetricPoint;
import io.somnus.store.RunStatus;
import io.somnus.store.Tracking;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last step of every run, whatever its outcome: the fact ledger's snapshot of the version the run left live (or
 * produced) and one tracked run with the outcome, its reasons, parameters and metrics. Recorded once per run id.
 */
final class ReportActivityImpl implements ReportActivity {
  /** Outcome of a run that broke off; its tracked run is marked failed, every other outcome finished. */
  static final String FAILED = "failed";

  private final FactLedger ledger;
  private final Tracking tracking;
  private final String experiment;
  private final StepJournal journal;
  private final Clock clock;

  ReportActivityImpl(FactLedger ledger, Tracking tracking, String experiment, StepJournal journal, Clock clock) {
    this.ledger = ledger;
    this.tracking = tracking;
    this.experiment = experiment;
    this.journal = journal;
    this.clock = clock;
  }

  @Override
  public Result report(Input in) {
    return journal.once(in.runId(), StepJournal.REPORT, Result.class, () -> {
      int rows = 0;
      if (!in.facts().isEmpty()) {
        rows = ledger.write(in.runId(), in.modelVersion(), FactStates.rows(in.facts(), in.runId(), in.modelVersion(), clock.instant())).rows();
      }
      String trackingRun = tracking.searchRuns(experiment, Map.of(Lineage.RUN_ID_TAG, in.runId())).stream()
          .findFirst().map(r -> r.runId()).orElse(null);
      if (trackingRun == null) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(Lineage.RUN_ID_TAG, in.runId());
        if (in.modelVersion() != null) tags.put(Lineage.MODEL_VERSION_TAG, in.modelVersion());
        tags.put(Lineage.KIND_TAG, in.kind());
        tags.put(Lineage.OUTCOME_TAG, in.outcome());
        tags.put("somnus.model_id", in.modelId());
        trackingRun = tracking.startRun(experiment, in.runId(), tags);
        tracking.logParams(trackingRun, in.params());
        long now = clock.millis();
        List<MetricPoint> points = new ArrayList<>();
        in.metrics().forEach((k, v) -> {
          if (v != null && Double.isFinite(v)) points.add(new MetricPoint(k, v, 0, now));
        });
        if (!points.isEmpty()) tracking.logMetrics(trackingRun, points);
        tracking.endRun(trackingRun, FAILED.equals(in.outcome()) ? RunStatus.FAILED : RunStatus.FINISHED);
      }
      return new Result(trackingRun, rows);
    });
  }
}
