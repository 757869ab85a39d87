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
 * Asks a capable chat model to list the facts in a message as JSON (those the user says no longer hold marked
 * {@code "no_longer": true}), then keeps only well-formed entries with an allowed relation. The model's output is
 * untrusted: malformed JSON yields no facts, and whatever it lists still has to pass the {@link GroundingFirewall}.
 * Not thread-safe: one message at a time.
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
        + " When the user says a fact no longer holds (\"Ana no longer lives in Rome\"), list it with \"no_longer\": true."
        + " Reply [] when the message states no such fact.";
    return List.of(ChatMessage.system(system), ChatMessage.user(userText));
  }

  @Override
  public List<Fact> extract(String userText) {
    return read(userText).stream().filter(r -> !r.noLonger()).map(Listed::fact).toList();
  }

  @Override
  public List<Fact> retractions(String userText) {
    return read(userText).stream().filter(Listed::noLonger).map(Listed::fact).toList();
  }

  /** One listed fact, and whether the user said it no longer holds. */
  private record Listed(Fact fact, boolean noLonger) {}

  /** The last message read and what the model listed for it: extract and retractions read one message with one call. */
  private String lastText;
  private List<Listed> lastListed = List.of();

  private List<Listed> read(String userText) {
    if (userText != null && userText.equals(lastText)) return lastListed;
    List<Listed> listed = parse(chat.apply(prompt(userText)));
    lastText = userText;
    lastListed = listed;
    return listed;
  }

  private List<Listed> parse(String reply) {
    int start = reply == null ? -1 : reply.indexOf('[');
    int end = reply == null ? -1 : reply.lastIndexOf(']');
    if (start < 0 || end < start) return List.of();
    JsonNode array;
    try {
      array = JSON.readTree(reply.substring(start, end + 1));
    } catch (IOException malformed) {
      return List.of();
    }
    List<Listed> out = new ArrayList<>();
    for (JsonNode n : array) {
      if (!n.isObject()) continue;
      String s = text(n, "subject");
      String r = text(n, "relation");
      String o = text(n, "object");
      if (s == null || r == null || o == null || !relations.contains(r.strip())) continue;
      try {
        out.add(new Listed(new Fact(s, r, o), n.path("no_longer").asBoolean(false)));
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
