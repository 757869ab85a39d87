package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Step 6: merge the adapter into a copy of the version's weights and register the result as a
 * candidate version. Live is not touched; the candidate is only a version until Promote.
 */
@ActivityInterface
public interface FuseToTempActivity {
  /** @param attempt which of the sleep's candidates this is, as in {@link TrainLoraActivity.Input} */
  record Input(String runId, String versionId, String adapterKey, int attempt) {}

  record Result(String candidateVersionId) {}

  @ActivityMethod(name = "FuseToTemp")
  Result fuseToTemp(Input input);
}
