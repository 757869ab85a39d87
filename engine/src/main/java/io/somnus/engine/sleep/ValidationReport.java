package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import java.util.List;

/**
 * The verdict on a candidate with the measures it rests on. {@code reasons} is empty exactly when
 * the candidate passed.
 *
 * @param lostInChat facts the live model recalls in chat and the candidate does not
 * @param recoveredInChat facts the live model misses in chat and the candidate recalls
 * @param behaviourShift mean drop (nats per token) in the likelihood of the live model's answers
 * @param behaviourChanged behaviour prompts whose greedy answer differs from the live model's
 */
public record ValidationReport(boolean passed, List<String> reasons, double chatRecallBefore, double chatRecallAfter,
    double rawRecallBefore, double rawRecallAfter, List<Fact> lostInChat, List<Fact> lostInRaw, List<Fact> recoveredInChat,
    List<Fact> recoveredInRaw, double perplexityBefore,
    double perplexityAfter, double behaviourShift, int behaviourChanged, int behaviourPrompts, double seconds, KnownFacts known) {
  public ValidationReport {
    if (known == null) known = KnownFacts.none();
    reasons = List.copyOf(reasons);
    lostInChat = List.copyOf(lostInChat);
    lostInRaw = List.copyOf(lostInRaw);
    recoveredInChat = List.copyOf(recoveredInChat);
    recoveredInRaw = List.copyOf(recoveredInRaw);
  }

  /** Relative perplexity change, (after − before) / before. */
  public double perplexityDrift() {
    return perplexityAfter / perplexityBefore - 1;
  }
}
