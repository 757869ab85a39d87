package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Step 8: move the live alias to the approved version, only if live is still what the sleep started from. */
@ActivityInterface
public interface PromoteActivity {
  record Input(String runId, String versionId, String expectedLiveVersionId) {}

  /** @param alreadyLive true when a retry finds its own promote already done */
  record Result(String liveVersionId, String previousVersionId, boolean alreadyLive) {}

  @ActivityMethod(name = "Promote")
  Result promote(Input input);
}
