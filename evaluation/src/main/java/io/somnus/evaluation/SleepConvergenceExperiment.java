package io.somnus.evaluation;

public final class SleepConvergenceExperiment implements Experiment {
  @Override
  public String name() {
    return "sleep-convergence";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
