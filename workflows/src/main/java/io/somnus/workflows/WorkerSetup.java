package io.somnus.workflows;

import io.somnus.activities.StepImplementations;
import io.somnus.activities.StepQueues;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;

/**
 * What a Somnus worker polls. A CPU worker runs the workflows, the light steps and — when no GPU
 * workers are deployed — the heavy ones too; a GPU worker runs only the heavy steps.
 */
public final class WorkerSetup {
  private WorkerSetup() {}

  /**
   * Options for a worker of a service that never times out a workflow task held for a worker's sticky queue, as
   * Temporal's in-memory service does not: every workflow task goes to the shared queue, so a stopped worker cannot
   * strand a workflow (at the cost of replaying its history on each task).
   */
  public static WorkerOptions withoutStickyQueue() {
    return WorkerOptions.newBuilder().setStickyQueueScheduleToStartTimeout(Duration.ZERO).build();
  }

  public static void registerWorkflows(Worker worker) {
    worker.registerWorkflowImplementationTypes(SleepWorkflowImpl.class, NapWorkflowImpl.class,
        RollbackWorkflowImpl.class, MemoryLifecycleWorkflowImpl.class);
  }

  /**
   * @param queue {@link StepQueues#CPU} or {@link StepQueues#GPU}
   * @param cpuRunsHeavySteps on a CPU worker: also register the heavy steps (no GPU workers deployed)
   */
  public static Worker register(WorkerFactory factory, String queue, StepImplementations steps, boolean cpuRunsHeavySteps) {
    return register(factory, queue, steps, cpuRunsHeavySteps, WorkerOptions.getDefaultInstance());
  }

  /** As above, with the worker's options (e.g. {@link #withoutStickyQueue} on a service that lacks its fallback). */
  public static Worker register(WorkerFactory factory, String queue, StepImplementations steps, boolean cpuRunsHeavySteps,
      WorkerOptions options) {
    Worker worker = factory.newWorker(StepQueues.parse(queue), options);
    if (StepQueues.CPU.equals(queue)) {
      registerWorkflows(worker);
      worker.registerActivitiesImplementations(steps.light().toArray());
      if (cpuRunsHeavySteps) worker.registerActivitiesImplementations(steps.heavy().toArray());
    } else {
      worker.registerActivitiesImplementations(steps.heavy().toArray());
    }
    return worker;
  }
}
