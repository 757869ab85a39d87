package io.somnus.engine.tiny;

import io.somnus.engine.model.ChatFormat;
import io.somnus.engine.model.ChatMessage;
import java.util.List;

/** Chat turns for the corpus, rendered by the same {@link ChatFormat} the runtime uses to prompt. */
final class ChatText {
  private ChatText() {}

  static String turn(String role, String content) {
    return ChatFormat.CHATML.render(List.of(new ChatMessage(role, content)), false);
  }
}
