package io.somnus.activities;

import io.somnus.store.StepTiming;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;
import java.util.Map;

/** Last step: fact-ledger snapshot of the run and a tracking run with its parameters and metrics. */
@ActivityInterface
public interface ReportActivity {
  /**
   * @param kind "sleep", "nap" or "rollback"
   * @param outcome e.g. "promoted", "kept-live", "skipped", "audited", "rolled-back"
   * @param modelVersion the version the run produced or evaluated
   * @param facts rows for the ledger snapshot (empty: no snapshot is written)
   */
  record Input(String runId, String modelId, String kind, String outcome, String modelVersion,
      Map<String, String> params, Map<String, Double> metrics, List<FactState> facts, Timing timing, Versions versions) {
    public Input {
      params = Map.copyOf(params);
      metrics = Map.copyOf(metrics);
      facts = List.copyOf(facts);
      if (versions == null) versions = new Versions(null, null, null, null, modelVersion); // histories recorded before it
    }

    public Input(String runId, String modelId, String kind, String outcome, String modelVersion, Map<String, String> params,
        Map<String, Double> metrics, List<FactState> facts) {
      this(runId, modelId, kind, outcome, modelVersion, params, metrics, facts, null, null);
    }
  }

  /**
   * When the run began and ended and how long each of its steps took, as the workflow saw it (its own clock, so the
   * same on every replay); null in histories recorded before it, when the run is timed at the report.
   */
  record Timing(long startedAtMillis, long endedAtMillis, List<StepTiming> steps) {
    public Timing {
      steps = steps == null ? List.of() : List.copyOf(steps);
    }
  }

  /**
   * The versions a run went through, one meaning per name: live before it, the candidate trained and fused, the
   * candidate validation judged (gated), the version it made live (null when none), live after it.
   */
  record Versions(String liveBefore, String trained, String gated, String promoted, String liveAfter) {}

  record Result(String trackingRunId, int ledgerRows) {}

  @ActivityMethod(name = "Report")
  Result report(Input input);
}
