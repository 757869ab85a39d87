package io.somnus.activities;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.Map;

/** Step 1: what the live model is and how it is doing before anything changes. */
@ActivityInterface
public interface HealthCheckActivity {
  /**
   * @param sleepRequest the sleep's own request as JSON, journaled so that a sleep cut off by a restart of the service
   *     can be started again with the same run id (its finished steps are then read back, not redone); null for naps
   */
  record Input(String runId, String modelId, JsonNode sleepRequest, RunStart run) {
    public Input(String runId, String modelId) {
      this(runId, modelId, null, null);
    }
  }

  /**
   * The tracked run a sleep opens at its first step, so that tracking shows it while it runs and with its true start.
   *
   * @param params the sleep's knobs (the policy), logged now; its results are logged by the Report step
   */
  record RunStart(String kind, long startedAtMillis, Map<String, String> params) {
    public RunStart {
      params = params == null ? Map.of() : Map.copyOf(params);
    }
  }

  /**
   * @param liveVersionId the version every later step starts from (read once, so a promote by
   *     someone else mid-sleep is detected by the compare-and-set at the end)
   * @param referencePerplexity perplexity of the reference text on the live model
   */
  record Report(String liveVersionId, int facts, int unconsolidated, double referencePerplexity) {}

  @ActivityMethod(name = "HealthCheck")
  Report healthCheck(Input input);
}
