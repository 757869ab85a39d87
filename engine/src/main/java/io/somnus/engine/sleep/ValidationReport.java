package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import java.util.List;

/**
 * The verdict on a candidate with the measures it rests on. {@code reasons} is empty exactly when
 * the candidate passed.
 *
 * @param behaviourShift mean drop (nats per token) in the likelihood of the live model's answers
 * @param behaviourChanged behaviour prompts whose greedy answer differs from the live model's
 */
public record ValidationReport(boolean passed, List<String> reasons, double chatRecallBefore, double chatRecallAfter,
    double rawRecallBefore, double rawRecallAfter, List<Fact> lostInChat, List<Fact> lostInRaw, double perplexityBefore,
    double perplexityAfter, double behaviourShift, int behaviourChanged, int behaviourPrompts, double seconds) {
  public ValidationReport {
    reasons = List.copyOf(reasons);
    lostInChat = List.copyOf(lostInChat);
    lostInRaw = List.copyOf(lostInRaw);
  }

  /** Relative perplexity change, (after − before) / before. */
  public double perplexityDrift() {
    return perplexityAfter / perplexityBefore - 1;
  }
}
