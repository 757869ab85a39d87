package io.somnus.evaluation;

public final class WakeCapacityExperiment implements Experiment {
  @Override
  public String name() {
    return "wake-capacity";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    throw new UnsupportedOperationException("not written yet");
  }
}
