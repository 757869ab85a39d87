package io.somnus.engine.train;

/** Training produced a non-finite or exploding loss; the weights of that step must not be used. */
public final class TrainingDivergedException extends RuntimeException {
  private final long step;
  private final double value;

  public TrainingDivergedException(long step, double value, String what) {
    super(what + " at step " + step + " is " + value + "; training stopped before the update was applied");
    this.step = step;
    this.value = value;
  }

  public long step() {
    return step;
  }

  public double value() {
    return value;
  }
}
