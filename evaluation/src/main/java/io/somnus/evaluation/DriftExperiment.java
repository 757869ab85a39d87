package io.somnus.evaluation;

public final class DriftExperiment implements Experiment {
  @Override
  public String name() {
    return "drift";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
