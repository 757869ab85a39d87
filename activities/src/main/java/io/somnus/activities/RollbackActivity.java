package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Moves live to an earlier version; nothing is deleted and the move is recorded under the run. */
@ActivityInterface
public interface RollbackActivity {
  /** @param targetVersionId version to make live; null means the current "previous" alias */
  record Input(String runId, String targetVersionId, String reason) {}

  record Result(String fromVersionId, String toVersionId) {}

  @ActivityMethod(name = "Rollback")
  Result rollback(Input input);
}
