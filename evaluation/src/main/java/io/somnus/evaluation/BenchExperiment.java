package io.somnus.evaluation;

public final class BenchExperiment implements Experiment {
  @Override
  public String name() {
    return "bench";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
