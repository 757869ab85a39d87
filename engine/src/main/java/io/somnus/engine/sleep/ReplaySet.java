package io.somnus.engine.sleep;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
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

  /**
   * Reference texts one sleep rehearses, a fresh {@link #window} each sleep. 60 rather than 10: in a second lifetime
   * sleep on somnus-tiny (seed 1, waves of 5) the candidate's reference perplexity, without MEMIT edits, moved +5.9 %
   * against the live model with 10 texts; after a first sleep with 30, it moved +1.2 % with 30 and -6.3 % with 90.
   * Each text costs one extra forward pass per sleep.
   */
  public static final int TEXTS_PER_SLEEP = 60;

  public static ReplaySet none() {
    return new ReplaySet(List.of(), List.of(), 1);
  }

  /**
   * The same prompts with the {@code index}-th run of {@code size} consecutive texts (wrapping around): successive
   * sleeps rehearse different texts. Re-training the same ten texts every sleep memorises them, and that alone raised
   * reference perplexity 13–24 % in a second sleep on somnus-tiny (4 % with fresh texts).
   */
  public ReplaySet window(int index, int size) {
    if (index < 0 || size <= 0) throw new IllegalArgumentException("window index must be >= 0 and size > 0");
    if (texts.size() <= size) return this;
    List<String> out = new ArrayList<>(size);
    int from = (int) ((long) index * size % texts.size());
    for (int i = 0; i < size; i++) out.add(texts.get((from + i) % texts.size()));
    return new ReplaySet(prompts, out, answerTokens);
  }

  /**
   * Training examples: the live model's greedy answers to the prompts (with its stop token when it stopped on its
   * own, so stopping is rehearsed too) and the texts under plain language-model loss.
   */
  public List<QaExample> examples(ModelRuntime live) {
    List<QaExample> out = new ArrayList<>();
    Long stop = live.tokenizer().specialTokenId(live.tokenizer().chatFormat().stopTokens().get(0));
    for (List<ChatMessage> p : prompts) {
      long[] answer = live.generate(live.tokenizer().encodeChat(p, true), GenerationOptions.greedy(answerTokens));
      if (answer.length < answerTokens && stop != null) {
        answer = Arrays.copyOf(answer, answer.length + 1);
        answer[answer.length - 1] = stop;
      }
      if (answer.length > 0) out.add(QaDataset.answerExample(live.tokenizer(), p, answer));
    }
    for (String text : texts) out.add(QaDataset.textExample(live.tokenizer(), text));
    return out;
  }

  public boolean isEmpty() {
    return prompts.isEmpty() && texts.isEmpty();
  }
}
