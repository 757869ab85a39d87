package io.somnus.workflows;

import io.somnus.activities.StepTimeouts;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/** A nap: audit the live model's facts and record their recall; no weight changes. */
@WorkflowInterface
public interface NapWorkflow {
  record Request(String modelId, String runId, boolean gpuWorkers, double recallThreshold, StepTimeouts timeouts) {
    public Request {
      if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
      if (timeouts == null) timeouts = StepTimeouts.defaults();
    }
  }

  record Result(String runId, String liveVersionId, int audited, int healthy, List<String> degradedFactIds,
      double meanRawRecall) {
    public Result {
      degradedFactIds = List.copyOf(degradedFactIds);
    }
  }

  @WorkflowMethod(name = "Nap")
  Result nap(Request request);
}
