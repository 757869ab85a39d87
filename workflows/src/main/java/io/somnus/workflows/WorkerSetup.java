package io.somnus.workflows;

import io.somnus.activities.StepImplementations;
import io.somnus.activities.StepQueues;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;

/**
 * What a Somnus worker polls. A CPU worker runs the workflows, the light steps and — when no GPU
 * workers are deployed — the heavy ones too; a GPU worker runs only the heavy steps.
 */
public final class WorkerSetup {
  private WorkerSetup() {}

  public static void registerWorkflows(Worker worker) {
    worker.registerWorkflowImplementationTypes(SleepWorkflowImpl.class, NapWorkflowImpl.class,
        RollbackWorkflowImpl.class, MemoryLifecycleWorkflowImpl.class);
  }

  /**
   * @param queue {@link StepQueues#CPU} or {@link StepQueues#GPU}
   * @param cpuRunsHeavySteps on a CPU worker: also register the heavy steps (no GPU workers deployed)
   */
  public static Worker register(WorkerFactory factory, String queue, StepImplementations steps, boolean cpuRunsHeavySteps) {
    Worker worker = factory.newWorker(StepQueues.parse(queue));
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
