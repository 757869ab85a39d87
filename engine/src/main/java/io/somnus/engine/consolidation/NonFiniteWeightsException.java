package io.somnus.engine.consolidation;

/** A fused weight would contain NaN or ∞; nothing was written. */
public final class NonFiniteWeightsException extends IllegalStateException {
  public NonFiniteWeightsException(String message) {
    super(message);
  }
}
