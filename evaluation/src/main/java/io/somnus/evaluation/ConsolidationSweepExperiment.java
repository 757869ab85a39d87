package io.somnus.evaluation;

public final class ConsolidationSweepExperiment implements Experiment {
  @Override
  public String name() {
    return "consolidation-sweep";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
