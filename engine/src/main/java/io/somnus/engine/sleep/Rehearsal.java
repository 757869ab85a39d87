package io.somnus.engine.sleep;

import java.util.List;

/**
 * What a sleep's LoRA pass rehearses besides the facts, and what it watches without training on.
 *
 * @param examples trained alongside the facts: the live model's own answers and plain reference text
 * @param driftAnchors the live model's answers to prompts that are not trained: how much less likely the adapters make
 *     them tells how far training has pulled the model's behaviour, the same measure validation's behaviour probe
 *     takes, on prompts validation does not use
 */
public record Rehearsal(List<QaExample> examples, List<QaExample> driftAnchors) {
  public Rehearsal {
    examples = List.copyOf(examples);
    driftAnchors = List.copyOf(driftAnchors);
  }

  public static Rehearsal none() {
    return new Rehearsal(List.of(), List.of());
  }

  /** Rehearsal without drift anchors. */
  public static Rehearsal of(List<QaExample> examples) {
    return new Rehearsal(examples, List.of());
  }
}
