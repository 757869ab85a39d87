package io.somnus.cli.wake;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import java.util.List;

/** What the HTTP endpoint talks to: the remembering model, one conversation turn at a time. */
public interface ChatBackend {
  /**
   * @param factsWritten facts taken from the user's last message and written into the weights before answering
   * @param factsRejected candidate facts the firewall refused, with the reason
   */
  record Reply(String content, int promptTokens, int completionTokens, String finishReason, List<String> factsWritten,
      List<String> factsRejected) {
    public Reply {
      factsWritten = List.copyOf(factsWritten);
      factsRejected = List.copyOf(factsRejected);
    }
  }

  /** Model name reported by {@code /v1/models} and in responses. */
  String modelId();

  Reply chat(List<ChatMessage> messages, GenerationOptions options);
}
