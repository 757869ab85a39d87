package io.somnus.cli.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.somnus.engine.model.ChatMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field the way OpenAI checks it: a parameter of the wrong
 * type, out of range, unknown, or one this server cannot honour is a 400 naming the parameter, never ignored. Nothing
 * here needs the model; the context-length check, which does, is the endpoint's.
 *
 * @param maxTokens the answer's token limit, or null when the request left it to the context
 * @param stop strings that end the answer where they appear (not included in it); empty for none
 */
record ChatCompletionRequest(String model, List<ChatMessage> messages, Integer maxTokens, double temperature, double topP,
    long seed, List<String> stop, boolean stream, boolean includeUsage) {

  /** Greedy unless asked otherwise (OpenAI's default is 1): a small model's recall is dependable only greedy. */
  static final double DEFAULT_TEMPERATURE = 0;

  private static final List<String> ROLES = List.of("system", "developer", "user", "assistant");
  /** Parameters that describe the caller, not the answer: accepted and not used. */
  private static final Set<String> BOOKKEEPING = Set.of("user", "metadata", "store", "service_tier", "safety_identifier",
      "prompt_cache_key");
  /**
   * OpenAI parameters this server cannot honour, each with the values that ask for nothing beyond what it does (null
   * always does). Any other value is refused rather than silently answered without it.
   */
  private static final Map<String, Neutral> UNSUPPORTED = Map.ofEntries(
      Map.entry("n", new Neutral(v -> v.isIntegralNumber() && v.asLong() == 1, "one answer per request: leave it out or send 1")),
      Map.entry("logprobs", new Neutral(v -> v.isBoolean() && !v.asBoolean(), "no log-probabilities: leave it out or send false")),
      Map.entry("top_logprobs", Neutral.NONE),
      Map.entry("frequency_penalty", new Neutral(ChatCompletionRequest::isZero, "no penalties: leave it out or send 0")),
      Map.entry("presence_penalty", new Neutral(ChatCompletionRequest::isZero, "no penalties: leave it out or send 0")),
      Map.entry("logit_bias", Neutral.NONE),
      Map.entry("tools", new Neutral(v -> v.isArray() && v.isEmpty(), "no tools: leave it out")),
      Map.entry("tool_choice", new Neutral(v -> v.asText("").equals("none"), "no tools: leave it out or send \"none\"")),
      Map.entry("parallel_tool_calls", Neutral.NONE),
      Map.entry("functions", Neutral.NONE),
      Map.entry("function_call", new Neutral(v -> v.asText("").equals("none"), "no functions: leave it out or send \"none\"")),
      Map.entry("response_format", new Neutral(v -> v.path("type").asText("").equals("text") && v.size() == 1,
          "answers are plain text: leave it out or send {\"type\": \"text\"}")),
      Map.entry("modalities", new Neutral(v -> v.isArray() && v.size() == 1 && v.get(0).asText("").equals("text"),
          "answers are text: leave it out or send [\"text\"]")),
      Map.entry("audio", Neutral.NONE), Map.entry("prediction", Neutral.NONE), Map.entry("reasoning_effort", Neutral.NONE),
      Map.entry("verbosity", Neutral.NONE), Map.entry("web_search_options", Neutral.NONE));
  private static final Set<String> SUPPORTED = Set.of("model", "messages", "max_tokens", "max_completion_tokens",
      "temperature", "top_p", "seed", "stop", "stream", "stream_options");

  /** The values of an unsupported parameter that ask for nothing, and what to send instead of the others. */
  private record Neutral(Predicate<JsonNode> accepts, String hint) {
    static final Neutral NONE = new Neutral(v -> false, "leave it out");
  }

  static ChatCompletionRequest parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ApiError.invalid(null, "invalid_type", "The request body must be a JSON object, got " + typeOf(body) + ".");
    }
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!SUPPORTED.contains(name) && !BOOKKEEPING.contains(name) && !UNSUPPORTED.containsKey(name)) {
        throw ApiError.invalid(name, "unknown_parameter", "Unrecognized request argument supplied: " + name);
      }
    }
    UNSUPPORTED.forEach((name, neutral) -> refuseUnlessNeutral(body, name, neutral));

    String model = string(body, "model", true);
    List<ChatMessage> messages = messages(body.get("messages"));
    if (present(body, "max_tokens") && present(body, "max_completion_tokens")) {
      throw ApiError.invalid("max_tokens", "invalid_value",
          "Give 'max_completion_tokens' or its older name 'max_tokens', not both.");
    }
    Integer maxTokens = integer(body, present(body, "max_tokens") ? "max_tokens" : "max_completion_tokens", 1, Integer.MAX_VALUE);
    Double temperature = decimal(body, "temperature", 0, 2);
    Double topP = decimal(body, "top_p", 0, 1);
    if (topP != null && topP == 0) {
      throw ApiError.invalid("top_p", "decimal_below_min_value",
          "Invalid 'top_p': decimal at or below minimum value. Expected a value > 0, but got 0 instead.");
    }
    Long seed = body.hasNonNull("seed") ? longValue(body, "seed") : null;
    boolean stream = bool(body, "stream");
    boolean includeUsage = false;
    if (present(body, "stream_options")) {
      if (!stream) {
        throw ApiError.invalid("stream_options", "invalid_value",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
      }
      JsonNode options = object(body, "stream_options");
      for (Iterator<String> names = options.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!name.equals("include_usage") && !name.equals("include_obfuscation")) {
          throw ApiError.invalid("stream_options." + name, "unknown_parameter", "Unrecognized request argument supplied: stream_options." + name);
        }
      }
      includeUsage = bool(options, "include_usage");
    }
    return new ChatCompletionRequest(model, messages, maxTokens, temperature == null ? DEFAULT_TEMPERATURE : temperature, topP == null ? 1 : topP,
        seed == null ? 0 : seed, stop(body.get("stop")), stream, includeUsage);
  }

  private static List<ChatMessage> messages(JsonNode node) {
    if (node == null || node.isNull()) {
      throw ApiError.invalid("messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
    }
    if (!node.isArray()) throw wrongType("messages", "an array", node);
    if (node.isEmpty()) {
      throw ApiError.invalid("messages", "empty_array",
          "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode m = node.get(i);
      if (!m.isObject()) throw wrongType(at, "an object", m);
      String role = string(m, "role", true, at + ".role");
      if (role.equals("tool") || role.equals("function")) {
        throw ApiError.invalid(at + ".role", "unsupported_value",
            "Role '" + role + "' is not supported: this server has no tools. Supported values are: 'system', 'developer', 'user' and 'assistant'.");
      }
      if (!ROLES.contains(role)) {
        throw ApiError.invalid(at + ".role", "invalid_value",
            "Invalid value: '" + role + "'. Supported values are: 'system', 'developer', 'user' and 'assistant'.");
      }
      for (Iterator<String> names = m.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!name.equals("role") && !name.equals("content") && !name.equals("name")) {
          throw ApiError.invalid(at + "." + name, "unknown_parameter", "Unrecognized argument supplied: " + at + "." + name
              + " (tool calls and audio are not supported; a message is a role, a content and optionally a name)");
        }
      }
      out.add(new ChatMessage(role.equals("developer") ? "system" : role, content(m.get("content"), at + ".content")));
    }
    if (!out.get(out.size() - 1).role().equals("user")) {
      throw ApiError.invalid("messages", "invalid_value",
          "The last message must be the user's (role 'user'): the answer is to it, and facts are taken from it.");
    }
    return out;
  }

  /** A string, or an array of text parts joined by newlines (OpenAI's multi-part content). */
  private static String content(JsonNode node, String at) {
    if (node == null || node.isNull()) throw ApiError.invalid(at, "missing_required_parameter", "Missing required parameter: '" + at + "'.");
    if (node.isTextual()) return node.asText();
    if (!node.isArray()) throw wrongType(at, "a string or an array of content parts", node);
    if (node.isEmpty()) {
      throw ApiError.invalid(at, "empty_array", "Invalid '" + at + "': empty array. Expected at least one content part.");
    }
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      String partAt = at + "[" + i + "]";
      JsonNode part = node.get(i);
      if (!part.isObject()) throw wrongType(partAt, "an object", part);
      String type = string(part, "type", true, partAt + ".type");
      if (!type.equals("text")) {
        throw ApiError.invalid(partAt + ".type", "unsupported_value", "Content part type '" + type
            + "' is not supported: this model reads text only. Send {\"type\": \"text\", \"text\": \"...\"} parts or a plain string.");
      }
      texts.add(string(part, "text", true, partAt + ".text"));
    }
    return String.join("\n", texts);
  }

  private static List<String> stop(JsonNode node) {
    if (node == null || node.isNull()) return List.of();
    List<String> out = new ArrayList<>();
    if (node.isTextual()) {
      out.add(node.asText());
    } else if (node.isArray()) {
      if (node.size() > 4) {
        throw ApiError.invalid("stop", "array_above_max_length",
            "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length " + node.size() + " instead.");
      }
      for (int i = 0; i < node.size(); i++) {
        if (!node.get(i).isTextual()) throw wrongType("stop[" + i + "]", "a string", node.get(i));
        out.add(node.get(i).asText());
      }
    } else {
      throw wrongType("stop", "a string or an array of strings", node);
    }
    if (out.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("stop", "invalid_value", "Invalid 'stop': a stop sequence cannot be empty.");
    return List.copyOf(out);
  }

  private static void refuseUnlessNeutral(JsonNode body, String name, Neutral neutral) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull() || neutral.accepts().test(v)) return;
    throw ApiError.invalid(name, "unsupported_parameter", "'" + name + "' is not supported by this server (" + neutral.hint() + ").");
  }

  private static boolean isZero(JsonNode v) {
    return v.isNumber() && v.asDouble() == 0;
  }

  private static boolean present(JsonNode body, String name) {
    return body.hasNonNull(name);
  }

  private static String string(JsonNode parent, String name, boolean required) {
    return string(parent, name, required, name);
  }

  private static String string(JsonNode parent, String name, boolean required, String at) {
    JsonNode v = parent.get(name);
    if (v == null || v.isNull()) {
      if (required) throw ApiError.invalid(at, "missing_required_parameter", "Missing required parameter: '" + at + "'.");
      return null;
    }
    if (!v.isTextual()) throw wrongType(at, "a string", v);
    return v.asText();
  }

  private static Integer integer(JsonNode parent, String name, int min, int max) {
    JsonNode v = parent.get(name);
    if (v == null || v.isNull()) return null;
    if (!v.isIntegralNumber()) throw wrongType(name, "an integer", v);
    if (v.canConvertToLong() && v.asLong() < min) {
      throw ApiError.invalid(name, "integer_below_min_value", "Invalid '" + name + "': integer below minimum value. Expected a value >= "
          + min + ", but got " + v.asText() + " instead.");
    }
    if (!v.canConvertToInt() || v.asInt() > max) {
      throw ApiError.invalid(name, "integer_above_max_value", "Invalid '" + name + "': integer above maximum value. Expected a value <= "
          + max + ", but got " + v.asText() + " instead.");
    }
    return v.asInt();
  }

  private static long longValue(JsonNode parent, String name) {
    JsonNode v = parent.get(name);
    if (!v.isIntegralNumber()) throw wrongType(name, "an integer", v);
    if (!v.canConvertToLong()) {
      throw ApiError.invalid(name, "integer_above_max_value", "Invalid '" + name + "': integer out of range, got " + v.asText() + ".");
    }
    return v.asLong();
  }

  private static Double decimal(JsonNode parent, String name, double min, double max) {
    JsonNode v = parent.get(name);
    if (v == null || v.isNull()) return null;
    if (!v.isNumber()) throw wrongType(name, "a decimal", v);
    double x = v.asDouble();
    if (x < min) {
      throw ApiError.invalid(name, "decimal_below_min_value", "Invalid '" + name + "': decimal below minimum value. Expected a value >= "
          + plain(min) + ", but got " + v.asText() + " instead.");
    }
    if (x > max) {
      throw ApiError.invalid(name, "decimal_above_max_value", "Invalid '" + name + "': decimal above maximum value. Expected a value <= "
          + plain(max) + ", but got " + v.asText() + " instead.");
    }
    return x;
  }

  private static boolean bool(JsonNode parent, String name) {
    JsonNode v = parent.get(name);
    if (v == null || v.isNull()) return false;
    if (!v.isBoolean()) throw wrongType(name, "a boolean", v);
    return v.asBoolean();
  }

  private static JsonNode object(JsonNode parent, String name) {
    JsonNode v = parent.get(name);
    if (!v.isObject()) throw wrongType(name, "an object", v);
    return v;
  }

  private static ApiError wrongType(String at, String expected, JsonNode got) {
    return ApiError.invalid(at, "invalid_type", "Invalid type for '" + at + "': expected " + expected + ", but got " + typeOf(got) + " instead.");
  }

  private static String typeOf(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) return "null";
    if (v.isTextual()) return "a string";
    if (v.isIntegralNumber()) return "an integer";
    if (v.isNumber()) return "a decimal";
    if (v.isBoolean()) return "a boolean";
    if (v.isArray()) return "an array";
    return "an object";
  }

  private static String plain(double x) {
    return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
  }
}
