package io.somnus.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One sleep of one model: health → curate → audit → refresh (if degraded) → train LoRA → fuse to a
 * candidate → validate (per-fact gating + integrity) → promote or keep live → report.
 */
@WorkflowInterface
public interface SleepWorkflow {
  @WorkflowMethod(name = "Sleep")
  SleepResult sleep(SleepRequest request);

  @QueryMethod
  SleepProgress progress();
}
