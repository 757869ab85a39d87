package io.somnus.engine.model;

import java.util.List;

/**
 * Chat layouts of the supported model families, chosen from the checkpoint's chat template. The
 * layouts are written out here rather than interpreting Jinja: both families' templates reduce to
 * these strings for plain user/assistant/system turns. Llama 3.1's template also injects a system
 * header with a knowledge-cutoff and today's date; that is deliberately left out so that prompts,
 * and therefore recall probes, do not change from day to day.
 */
public enum ChatFormat {
  /** Llama 3 header tokens; the rendered text starts with its own BOS. */
  LLAMA3("<|eot_id|>", "<|end_of_text|>"),
  /** ChatML (Qwen, somnus-tiny); BOS, if the tokenizer has one, is added by the tokenizer. */
  CHATML("<|im_end|>", "<|endoftext|>");

  private final List<String> stopTokens;

  ChatFormat(String... stopTokens) {
    this.stopTokens = List.of(stopTokens);
  }

  /** Special tokens that end an assistant turn. */
  public List<String> stopTokens() {
    return stopTokens;
  }

  /** Whether the tokenizer should add its own special tokens (BOS) when encoding rendered chat text. */
  public boolean tokenizerAddsBos() {
    return this == CHATML;
  }

  public static ChatFormat detect(String chatTemplate) {
    if (chatTemplate == null) return null;
    if (chatTemplate.contains("<|start_header_id|>")) return LLAMA3;
    if (chatTemplate.contains("<|im_start|>")) return CHATML;
    return null;
  }

  /** Renders the conversation; with {@code generationPrompt} it ends with an open assistant turn. */
  public String render(List<ChatMessage> messages, boolean generationPrompt) {
    StringBuilder sb = new StringBuilder();
    switch (this) {
      case LLAMA3 -> {
        sb.append("<|begin_of_text|>");
        for (ChatMessage m : messages) {
          sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n").append(m.content().strip()).append("<|eot_id|>");
        }
        if (generationPrompt) sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
      }
      case CHATML -> {
        for (ChatMessage m : messages) {
          sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (generationPrompt) sb.append("<|im_start|>assistant\n");
      }
    }
    return sb.toString();
  }
}
