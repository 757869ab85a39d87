package io.somnus.engine.sleep;

/** A candidate weight contains NaN or ±∞; the candidate must be discarded, never promoted. */
public final class NonFiniteWeightsException extends IllegalStateException {
  private final String weight;
  private final long count;

  public NonFiniteWeightsException(String weight, long count, String cause) {
    super("candidate weight " + weight + " has " + count + " non-finite value(s) after " + cause + "; candidate discarded");
    this.weight = weight;
    this.count = count;
  }

  public String weight() {
    return weight;
  }

  public long count() {
    return count;
  }
}
