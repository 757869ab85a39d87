package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import java.util.List;

/**
 * What validation's knowledge guard found: chat recall of the held-out known facts ({@link ProbeSet#knownFacts}) on
 * the base model, the live model and the candidate, and the facts the candidate lost and recovered against live.
 *
 * @param base NaN when the base model's answers were not given
 * @param consolidated the candidate's recall with its MEMIT edits switched off (its fused weights alone)
 */
public record KnownFacts(double base, double live, double candidate, double consolidated, List<Fact> lost, List<Fact> recovered) {
  public KnownFacts {
    lost = List.copyOf(lost);
    recovered = List.copyOf(recovered);
  }

  /** No guard: no known facts were asked. */
  public static KnownFacts none() {
    return new KnownFacts(Double.NaN, Double.NaN, Double.NaN, Double.NaN, List.of(), List.of());
  }
}
