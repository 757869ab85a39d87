package io.somnus.engine.runtime;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * A loaded language model: text in, text or scores out, plus tensor-level access for the memory
 * algorithms. The seam between Somnus and the compute library.
 */
public interface ModelRuntime extends AutoCloseable {
  LlamaConfig config();

  TextTokenizer tokenizer();

  /** Tensor-level access: weights and hooked forward passes. */
  LlamaModel model();

  /** Continues raw text; returns only the new text, special tokens stripped. */
  String complete(String prompt, GenerationOptions options);

  /** Answers the conversation as the assistant; returns only the new text. */
  String chat(List<ChatMessage> messages, GenerationOptions options);

  /** {@link #chat} of each conversation, in order; a runtime may answer them side by side (greedy only). */
  default List<String> chatAll(List<List<ChatMessage>> conversations, GenerationOptions options) {
    List<String> out = new java.util.ArrayList<>(conversations.size());
    for (List<ChatMessage> c : conversations) out.add(chat(c, options));
    return out;
  }

  /** Generates after the given token ids; returns the new token ids (stop token excluded). */
  default long[] generate(long[] promptIds, GenerationOptions options) {
    return generate(promptIds, options, token -> true);
  }

  /**
   * Generates after the given token ids, telling {@code onToken} each new id as soon as it is chosen (for streaming);
   * generation ends early when it returns false. Returns the new token ids (stop token excluded).
   */
  long[] generate(long[] promptIds, GenerationOptions options, LongPredicate onToken);

  /**
   * Log-probabilities of each target token given its prompt and the target tokens before it, for a
   * batch of (prompt, target) pairs in one forward pass. Result row i has targets.get(i).length values.
   */
  float[][] targetLogProbs(List<long[]> prompts, List<long[]> targets);

  /** exp(mean negative log-likelihood) of the text's tokens after the first; +∞ below two tokens. */
  double perplexity(String text);

  /** Writes the current weights as an HF checkpoint directory (with the tokenizer files). */
  void save(Path dir, DType dtype) throws IOException;

  @Override
  void close();
}
