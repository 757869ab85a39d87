package io.somnus.activities;

/**
 * Task queue names. The choice between them is made once, from the workflow input, so that a replay
 * of the same history always schedules the same steps on the same queues.
 */
public final class StepQueues {
  /** Workflow tasks and light steps (registry, ledger, tracking); every deployment has CPU workers. */
  public static final String CPU = "cpu";
  /** Steps that load the model and do tensor work, when GPU workers are deployed. */
  public static final String GPU = "gpu";

  private StepQueues() {}

  /** Queue for a heavy step: {@link #GPU} when the caller says GPU workers exist, else {@link #CPU}. */
  public static String heavy(boolean gpuWorkers) {
    return gpuWorkers ? GPU : CPU;
  }

  /** Validates a queue name given on a command line or in configuration. */
  public static String parse(String name) {
    if (CPU.equals(name) || GPU.equals(name)) return name;
    throw new IllegalArgumentException("task queue must be '" + CPU + "' or '" + GPU + "', got '" + name + "'");
  }
}
