package io.somnus.engine.sleep;

import io.somnus.engine.model.ChatMessage;
import java.util.List;

/**
 * The fixed material a candidate is checked on besides the taught facts.
 *
 * @param referenceTexts texts whose perplexity must not drift (held-out text of the model's domain)
 * @param behaviourPrompts conversations (e.g. "Who are you?", questions about things the model knew
 *     before any teaching) whose answers must not change
 * @param behaviourTokens greedy answer length recorded per behaviour prompt
 */
public record ProbeSet(List<String> referenceTexts, List<List<ChatMessage>> behaviourPrompts, int behaviourTokens) {
  public ProbeSet {
    referenceTexts = List.copyOf(referenceTexts);
    behaviourPrompts = behaviourPrompts.stream().map(List::copyOf).toList();
    if (referenceTexts.isEmpty()) throw new IllegalArgumentException("perplexity needs at least one reference text");
    if (behaviourTokens <= 0) throw new IllegalArgumentException("behaviour answers need at least one token");
  }
}
