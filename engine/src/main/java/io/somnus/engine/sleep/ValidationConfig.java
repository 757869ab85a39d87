package io.somnus.engine.sleep;

/**
 * When a candidate may replace the live model.
 *
 * @param maxPerplexityDrift largest allowed relative rise of reference-text perplexity (0.02 = 2 %)
 * @param maxBehaviourShift largest allowed mean drop, in nats per token, of the log-likelihood the
 *     candidate gives to the live model's own greedy answers to the behaviour prompts
 * @param requireChatRecall every fact the live model recalls in chat must still be recalled
 * @param requireRawRecall every fact the live model recalls by raw completion must still be recalled
 */
public record ValidationConfig(double maxPerplexityDrift, double maxBehaviourShift, boolean requireChatRecall,
    boolean requireRawRecall) {
  public ValidationConfig {
    if (!(maxPerplexityDrift >= 0)) throw new IllegalArgumentException("perplexity drift bound must be >= 0, got " + maxPerplexityDrift);
    if (!(maxBehaviourShift >= 0)) throw new IllegalArgumentException("behaviour shift bound must be >= 0, got " + maxBehaviourShift);
  }

  public static ValidationConfig defaults() {
    return new ValidationConfig(0.02, 0.10, true, true);
  }
}
