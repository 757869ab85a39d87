package io.somnus.engine.sleep;

/**
 * When a candidate may replace the live model.
 *
 * @param maxPerplexityDrift largest allowed relative rise of reference-text perplexity (0.02 = 2 %)
 * @param maxBehaviourShift largest allowed mean drop, in nats per token, of the log-likelihood the
 *     candidate gives to the live model's own greedy answers to the behaviour prompts
 * @param requireChatRecall facts the live model recalls in chat must still be recalled (see {@code recoveredPerLoss})
 * @param requireRawRecall facts the live model recalls by raw completion must still be recalled (see
 *     {@code recoveredPerLoss})
 * @param recoveredPerLoss a candidate that loses recalled answers (chat and raw, of the required pathways, together)
 *     still passes when it gives back at least this many answers the live model misses for each one it loses; 0: no
 *     recalled answer may be lost. See {@link #allows}
 */
public record ValidationConfig(double maxPerplexityDrift, double maxBehaviourShift, boolean requireChatRecall,
    boolean requireRawRecall, int recoveredPerLoss) {
  /**
   * Answers a candidate must give back, among those the live model misses, for each recalled one it loses. With no
   * loss allowed at all, a sleep after a damaging wake could not repair anything: lifetime of 10 waves of 20,
   * somnus-tiny, seed 2, waves 8-10: no training check after the first kept every answer known before training, so
   * the trainer returned its untrained adapters, three sleeps promoted the weights unchanged, and chat recall of all
   * facts went 0.99 → 0.65 → 0.52 → 0.36 as each wake write broke more. A lost answer is not gone for good: the next
   * sleep trains every fact again, the missed ones first.
   */
  public static final int RECOVERED_PER_LOSS = 2;

  public ValidationConfig {
    if (!(maxPerplexityDrift >= 0)) throw new IllegalArgumentException("perplexity drift bound must be >= 0, got " + maxPerplexityDrift);
    if (!(maxBehaviourShift >= 0)) throw new IllegalArgumentException("behaviour shift bound must be >= 0, got " + maxBehaviourShift);
    if (recoveredPerLoss < 0) throw new IllegalArgumentException("answers recovered per loss must be >= 0, got " + recoveredPerLoss);
  }

  /** Recall of every required pathway must hold answer for answer (no trade of a loss against a recovery). */
  public ValidationConfig(double maxPerplexityDrift, double maxBehaviourShift, boolean requireChatRecall, boolean requireRawRecall) {
    this(maxPerplexityDrift, maxBehaviourShift, requireChatRecall, requireRawRecall, 0);
  }

  public static ValidationConfig defaults() {
    return new ValidationConfig(0.02, 0.10, true, true, RECOVERED_PER_LOSS);
  }

  /** Whether a candidate that loses {@code lost} recalled answers and gives back {@code recovered} missed ones passes on recall. */
  public boolean allows(int lost, int recovered) {
    return lost == 0 || recoveredPerLoss > 0 && (long) lost * recoveredPerLoss <= recovered;
  }
}
