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
    boolean requireRawRecall, int recoveredPerLoss, double maxKnowledgeLossPerSleep, double maxKnowledgeLossOverLifetime) {
  /** Share of its known-fact recall a candidate may lose against the live model (see {@link ProbeSet#knownFacts}). */
  public static final double MAX_KNOWLEDGE_LOSS_PER_SLEEP = 0.01;
  /** Share of the base model's known-fact recall a candidate may have lost over every sleep so far. */
  public static final double MAX_KNOWLEDGE_LOSS_OVER_LIFETIME = 0.05;

  /**
   * Answers a candidate must give back, among those the live model misses, for each recalled one it loses, unless a
   * deployment sets another number: by default none may be lost. The trade is there for a deployment that prefers it;
   * a lost answer is not gone for good, the next sleep trains every fact again (evaluation/DECISIONS.md, "no recalled
   * answer may be lost by default").
   */
  public static final int RECOVERED_PER_LOSS = 0;

  public ValidationConfig {
    if (!(maxPerplexityDrift >= 0)) throw new IllegalArgumentException("perplexity drift bound must be >= 0, got " + maxPerplexityDrift);
    if (!(maxBehaviourShift >= 0)) throw new IllegalArgumentException("behaviour shift bound must be >= 0, got " + maxBehaviourShift);
    if (recoveredPerLoss < 0) throw new IllegalArgumentException("answers recovered per loss must be >= 0, got " + recoveredPerLoss);
    if (!(maxKnowledgeLossPerSleep >= 0 && maxKnowledgeLossPerSleep <= 1)) {
      throw new IllegalArgumentException("known-fact loss per sleep must be in [0, 1], got " + maxKnowledgeLossPerSleep);
    }
    if (!(maxKnowledgeLossOverLifetime >= 0 && maxKnowledgeLossOverLifetime <= 1)) {
      throw new IllegalArgumentException("known-fact loss over the lifetime must be in [0, 1], got " + maxKnowledgeLossOverLifetime);
    }
  }

  /** With the default knowledge bounds. */
  public ValidationConfig(double maxPerplexityDrift, double maxBehaviourShift, boolean requireChatRecall, boolean requireRawRecall,
      int recoveredPerLoss) {
    this(maxPerplexityDrift, maxBehaviourShift, requireChatRecall, requireRawRecall, recoveredPerLoss,
        MAX_KNOWLEDGE_LOSS_PER_SLEEP, MAX_KNOWLEDGE_LOSS_OVER_LIFETIME);
  }

  /** Recall of every required pathway must hold answer for answer (no trade of a loss against a recovery). */
  public ValidationConfig(double maxPerplexityDrift, double maxBehaviourShift, boolean requireChatRecall, boolean requireRawRecall) {
    this(maxPerplexityDrift, maxBehaviourShift, requireChatRecall, requireRawRecall, 0);
  }

  public static ValidationConfig defaults() {
    return new ValidationConfig(0.02, 0.10, true, true, RECOVERED_PER_LOSS);
  }

  /** This rule with another number of answers recovered per loss (0: strict). */
  public ValidationConfig withRecoveredPerLoss(int perLoss) {
    return new ValidationConfig(maxPerplexityDrift, maxBehaviourShift, requireChatRecall, requireRawRecall, perLoss,
        maxKnowledgeLossPerSleep, maxKnowledgeLossOverLifetime);
  }

  /** This rule with other bounds on the known facts a candidate may lose, per sleep and since the base model. */
  public ValidationConfig withKnowledgeBounds(double perSleep, double overLifetime) {
    return new ValidationConfig(maxPerplexityDrift, maxBehaviourShift, requireChatRecall, requireRawRecall, recoveredPerLoss,
        perSleep, overLifetime);
  }

  /** Whether a candidate that loses {@code lost} recalled answers and gives back {@code recovered} missed ones passes on recall. */
  public boolean allows(int lost, int recovered) {
    return lost == 0 || recoveredPerLoss > 0 && (long) lost * recoveredPerLoss <= recovered;
  }
}
