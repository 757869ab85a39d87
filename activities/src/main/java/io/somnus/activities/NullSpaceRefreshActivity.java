package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Step 4, only when the audit found degraded facts: rewrite their MEMIT edits on the current weights,
 * constrained to the null space of the other facts' keys, into a new (not live) working version.
 */
@ActivityInterface
public interface NullSpaceRefreshActivity {
  record Input(String runId, String versionId, List<String> degradedFactIds) {
    public Input {
      degradedFactIds = List.copyOf(degradedFactIds);
    }
  }

  /** @param workingVersionId version later steps train on; equals the input version when nothing changed */
  record Result(String workingVersionId, List<String> refreshedFactIds, List<String> failedFactIds) {
    public Result {
      refreshedFactIds = List.copyOf(refreshedFactIds);
      failedFactIds = List.copyOf(failedFactIds);
    }
  }

  @ActivityMethod(name = "NullSpaceRefresh")
  Result refresh(Input input);
}
