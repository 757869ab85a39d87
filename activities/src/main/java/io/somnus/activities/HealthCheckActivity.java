package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Step 1: what the live model is and how it is doing before anything changes. */
@ActivityInterface
public interface HealthCheckActivity {
  record Input(String runId, String modelId) {}

  /**
   * @param liveVersionId the version every later step starts from (read once, so a promote by
   *     someone else mid-sleep is detected by the compare-and-set at the end)
   * @param referencePerplexity perplexity of the reference text on the live model
   */
  record Report(String liveVersionId, int facts, int unconsolidated, double referencePerplexity) {}

  @ActivityMethod(name = "HealthCheck")
  Report healthCheck(Input input);
}
