package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import java.util.List;

/**
 * The fixed material a candidate is checked on besides the taught facts.
 *
 * @param referenceTexts texts whose perplexity must not drift (held-out text of the model's domain)
 * @param behaviourPrompts conversations (e.g. "Who are you?", questions about things the model knew
 *     before any teaching) whose answers must not change
 * @param behaviourTokens greedy answer length recorded per behaviour prompt
 * @param knownFacts the knowledge guard: facts the model knew before it was taught anything, asked in chat and never
 *     rehearsed or selected on by a sleep, so that what a sleep costs the rest of the model's knowledge is measured
 *     rather than trained away on exactly the questions that measure it
 * @param knownQuestions how each known fact is asked
 */
public record ProbeSet(List<String> referenceTexts, List<List<ChatMessage>> behaviourPrompts, int behaviourTokens,
    List<Fact> knownFacts, FactQuestions knownQuestions) {
  public ProbeSet {
    referenceTexts = List.copyOf(referenceTexts);
    behaviourPrompts = behaviourPrompts.stream().map(List::copyOf).toList();
    knownFacts = List.copyOf(knownFacts);
    if (referenceTexts.isEmpty()) throw new IllegalArgumentException("perplexity needs at least one reference text");
    if (behaviourTokens <= 0) throw new IllegalArgumentException("behaviour answers need at least one token");
    if (!knownFacts.isEmpty() && knownQuestions == null) throw new IllegalArgumentException("known facts need their questions");
  }

  /** Without a knowledge guard: no known facts are asked. */
  public ProbeSet(List<String> referenceTexts, List<List<ChatMessage>> behaviourPrompts, int behaviourTokens) {
    this(referenceTexts, behaviourPrompts, behaviourTokens, List.of(), null);
  }
}
