package io.somnus.workflows;

import io.somnus.activities.StepTimeouts;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Moves live back to a chosen earlier version (or "previous"), recorded in lineage as a run. */
@WorkflowInterface
public interface RollbackWorkflow {
  /** @param targetVersionId null rolls back to the "previous" alias */
  record Request(String modelId, String runId, String targetVersionId, String reason, StepTimeouts timeouts) {
    public Request {
      if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
      if (timeouts == null) timeouts = StepTimeouts.defaults();
      if (reason == null) reason = "";
    }
  }

  record Result(String runId, String fromVersionId, String toVersionId) {}

  @WorkflowMethod(name = "Rollback")
  Result rollback(Request request);
}
