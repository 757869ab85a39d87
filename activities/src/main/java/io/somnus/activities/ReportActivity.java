package io.somnus.activities;

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
      Map<String, String> params, Map<String, Double> metrics, List<FactState> facts) {
    public Input {
      params = Map.copyOf(params);
      metrics = Map.copyOf(metrics);
      facts = List.copyOf(facts);
    }
  }

  record Result(String trackingRunId, int ledgerRows) {}

  @ActivityMethod(name = "Report")
  Result report(Input input);
}
