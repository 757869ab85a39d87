package io.somnus.cli.wake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Asks a capable chat model to list the facts in a message as JSON, then keeps only well-formed
 * entries with an allowed relation. The model's output is untrusted: malformed JSON yields no facts,
 * and whatever it lists still has to pass the {@link GroundingFirewall}.
 */
public final class ModelFactExtractor implements FactExtractor {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Function<List<ChatMessage>, String> chat;
  private final List<String> relations;

  /** @param chat answers a conversation as the assistant (greedy decoding for repeatability) */
  public ModelFactExtractor(Function<List<ChatMessage>, String> chat, List<String> relations) {
    if (relations.isEmpty()) throw new IllegalArgumentException("no relations");
    this.chat = chat;
    this.relations = List.copyOf(relations);
  }

  public static ModelFactExtractor of(ModelRuntime rt, List<String> relations) {
    return new ModelFactExtractor(m -> rt.chat(m, GenerationOptions.greedy(256)), relations);
  }

  List<ChatMessage> prompt(String userText) {
    String system = "You extract facts. Reply with only a JSON array of objects with keys \"subject\", \"relation\" and"
        + " \"object\". Include a fact only if the user states it about a named person, in their own words."
        + " relation must be exactly one of: " + String.join(", ", relations) + "."
        + " Reply [] when the message states no such fact.";
    return List.of(ChatMessage.system(system), ChatMessage.user(userText));
  }

  @Override
  public List<Fact> extract(String userText) {
    String reply = chat.apply(prompt(userText));
    int start = reply == null ? -1 : reply.indexOf('[');
    int end = reply == null ? -1 : reply.lastIndexOf(']');
    if (start < 0 || end < start) return List.of();
    JsonNode array;
    try {
      array = JSON.readTree(reply.substring(start, end + 1));
    } catch (IOException malformed) {
      return List.of();
    }
    List<Fact> out = new ArrayList<>();
    for (JsonNode n : array) {
      if (!n.isObject()) continue;
      String s = text(n, "subject");
      String r = text(n, "relation");
      String o = text(n, "object");
      if (s == null || r == null || o == null || !relations.contains(r.strip())) continue;
      try {
        out.add(new Fact(s, r, o));
      } catch (IllegalArgumentException invalid) {
        // empty or over-long parts: not a fact we can write
      }
    }
    return List.copyOf(out);
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
  }
}
