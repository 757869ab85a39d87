package io.somnus.engine.sleep;

import io.somnus.engine.model.ChatMessage;
import java.util.List;

/**
 * What a sleep rehearses besides the facts, so that LoRA learns the facts without unlearning the
 * rest: the live model's own greedy answers to {@code prompts} (self-distillation: the adapters
 * are pulled towards answering as the live model already does) and plain language-model loss on
 * {@code texts}. Keep both disjoint from the validator's {@link ProbeSet}, or validation would
 * only test what was rehearsed.
 */
public record ReplaySet(List<List<ChatMessage>> prompts, List<String> texts, int answerTokens) {
  public ReplaySet {
    prompts = prompts.stream().map(List::copyOf).toList();
    texts = List.copyOf(texts);
    if (answerTokens <= 0) throw new IllegalArgumentException("replay answers need at least one token");
  }

  public static ReplaySet none() {
    return new ReplaySet(List.of(), List.of(), 1);
  }

  public boolean isEmpty() {
    return prompts.isEmpty() && texts.isEmpty();
  }
}
