package io.somnus.evaluation;

public final class LifetimeExperiment implements Experiment {
  @Override
  public String name() {
    return "lifetime";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
