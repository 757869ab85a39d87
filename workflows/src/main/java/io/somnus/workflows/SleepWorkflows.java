package io.somnus.workflows;

import io.somnus.activities.StepQueues;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;

/**
 * Workflow ids and starters. All sleeps of a model share one workflow id, so Temporal itself refuses
 * a second sleep while one runs (WorkflowExecutionAlreadyStarted), whoever starts it.
 */
public final class SleepWorkflows {
  /** Workflow tasks are polled by the CPU workers. */
  public static final String WORKFLOW_QUEUE = StepQueues.CPU;

  private SleepWorkflows() {}

  public static String sleepId(String modelId) {
    return "sleep-" + modelId;
  }

  public static String napId(String modelId) {
    return "nap-" + modelId;
  }

  public static String rollbackId(String modelId) {
    return "rollback-" + modelId;
  }

  public static String lifecycleId(String modelId) {
    return "lifecycle-" + modelId;
  }

  static WorkflowOptions options(String workflowId) {
    return WorkflowOptions.newBuilder()
        .setWorkflowId(workflowId)
        .setTaskQueue(WORKFLOW_QUEUE)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .build();
  }

  /**
   * Starts a sleep and returns at once.
   *
   * @throws io.temporal.client.WorkflowExecutionAlreadyStarted when the model is already asleep
   */
  public static WorkflowStub startSleep(WorkflowClient client, SleepRequest request) {
    SleepWorkflow wf = client.newWorkflowStub(SleepWorkflow.class, options(sleepId(request.modelId())));
    WorkflowClient.start(wf::sleep, request);
    return WorkflowStub.fromTyped(wf);
  }

  public static NapWorkflow.Result nap(WorkflowClient client, NapWorkflow.Request request) {
    return client.newWorkflowStub(NapWorkflow.class, options(napId(request.modelId()))).nap(request);
  }

  public static RollbackWorkflow.Result rollback(WorkflowClient client, RollbackWorkflow.Request request) {
    return client.newWorkflowStub(RollbackWorkflow.class, options(rollbackId(request.modelId()))).rollback(request);
  }

  /** Starts the model's lifecycle entity, or does nothing if it is already running. */
  public static MemoryLifecycleWorkflow ensureLifecycle(WorkflowClient client, String modelId, LifecycleSettings settings) {
    return ensureLifecycle(client, MemoryLifecycleWorkflow.State.initial(modelId, settings));
  }

  /** Starts the model's lifecycle entity from {@code initial}, or does nothing if it is already running. */
  public static MemoryLifecycleWorkflow ensureLifecycle(WorkflowClient client, MemoryLifecycleWorkflow.State initial) {
    String modelId = initial.modelId();
    MemoryLifecycleWorkflow wf = client.newWorkflowStub(MemoryLifecycleWorkflow.class, options(lifecycleId(modelId)));
    try {
      WorkflowClient.start(wf::run, initial);
    } catch (io.temporal.client.WorkflowExecutionAlreadyStarted alreadyRunning) {
      // the entity exists: signal it through a stub bound to its id
    }
    return client.newWorkflowStub(MemoryLifecycleWorkflow.class, lifecycleId(modelId));
  }
}
