package io.somnus.engine.sleep;

import java.util.List;
import java.util.Map;

/**
 * What a model does on the facts and probes: the audit of the live model before a sleep, and the
 * same measures of a candidate.
 *
 * @param chat fact id → recalled in chat
 * @param raw fact id → recalled by raw completion
 * @param perplexity geometric mean perplexity over the reference texts
 * @param behaviourAnswers greedy answer token ids per behaviour prompt
 * @param behaviourLogProb mean log-probability per token the model gives its own answers
 */
public record Measurement(Map<String, Boolean> chat, Map<String, Boolean> raw, double perplexity,
    List<long[]> behaviourAnswers, double[] behaviourLogProb, double seconds, Map<String, Boolean> known) {
  /** Without the knowledge guard's answers (journals written before it read this way too). */
  public Measurement(Map<String, Boolean> chat, Map<String, Boolean> raw, double perplexity, List<long[]> behaviourAnswers,
      double[] behaviourLogProb, double seconds) {
    this(chat, raw, perplexity, behaviourAnswers, behaviourLogProb, seconds, null);
  }

  public Measurement {
    known = known == null ? Map.of() : Map.copyOf(known);
  }

  /** Chat recall of the knowledge guard's known facts; NaN when none were asked. */
  public double knownRecall() {
    return FactRecall.rate(known);
  }

  public double chatRecall() {
    return FactRecall.rate(chat);
  }

  public double rawRecall() {
    return FactRecall.rate(raw);
  }
}
