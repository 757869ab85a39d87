package io.somnus.cli.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.cli.wake.ChatBackend;

/**
 * OpenAI's response objects: {@code chat.completion}, the {@code chat.completion.chunk}s of a stream, {@code model}.
 * Each completion (or a stream's first chunk) carries a {@code somnus} object saying what the turn wrote into the
 * weights.
 */
final class ChatCompletionJson {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final String id;
  private final long created;
  private final String model;

  /** @param id shared by a completion and all chunks of its stream */
  ChatCompletionJson(String id, long created, String model) {
    this.id = id;
    this.created = created;
    this.model = model;
  }

  static ObjectNode model(String id, long created) {
    return JSON.objectNode().put("id", id).put("object", "model").put("created", created).put("owned_by", "somnus");
  }

  ObjectNode completion(String content, String finishReason, ChatBackend.Answer answer, ChatBackend.Memory memory) {
    ObjectNode root = head("chat.completion");
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", content).putNull("refusal");
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    root.set("usage", usage(answer));
    root.set("somnus", somnus(memory));
    return root;
  }

  /** A stream's first chunk: the role, no text yet, and what the turn wrote. */
  ObjectNode firstChunk(ChatBackend.Memory memory, boolean withUsage) {
    ObjectNode root = chunk(JSON.objectNode().put("role", "assistant").put("content", ""), null, withUsage);
    root.set("somnus", somnus(memory));
    return root;
  }

  ObjectNode textChunk(String text, boolean withUsage) {
    return chunk(JSON.objectNode().put("content", text), null, withUsage);
  }

  ObjectNode finalChunk(String finishReason, boolean withUsage) {
    return chunk(JSON.objectNode(), finishReason, withUsage);
  }

  /** The chunk {@code stream_options.include_usage} asks for after the last one: no choices, the token counts. */
  ObjectNode usageChunk(ChatBackend.Answer answer) {
    ObjectNode root = head("chat.completion.chunk");
    root.putArray("choices");
    root.set("usage", usage(answer));
    return root;
  }

  private ObjectNode chunk(ObjectNode delta, String finishReason, boolean withUsage) {
    ObjectNode root = head("chat.completion.chunk");
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    // with include_usage every chunk but the last has "usage": null, as OpenAI sends it
    if (withUsage) root.putNull("usage");
    return root;
  }

  private ObjectNode head(String object) {
    return JSON.objectNode().put("id", id).put("object", object).put("created", created).put("model", model)
        .putNull("system_fingerprint");
  }

  private static ObjectNode usage(ChatBackend.Answer answer) {
    return JSON.objectNode().put("prompt_tokens", answer.promptTokens()).put("completion_tokens", answer.completionTokens())
        .put("total_tokens", answer.promptTokens() + answer.completionTokens());
  }

  /**
   * {@code model_version}: the live version that answered; {@code facts_written}: the facts taken from the user's
   * message and written into the weights before the answer, with their ledger ids in {@code fact_ids} (same order);
   * {@code facts_rejected}: candidate facts not written, each with the reason; {@code facts}: every stated fact with what
   * it did to memory ({@code change}: NEW, UPDATE, DUPLICATE or RETRACT, and the value it {@code replaces}).
   */
  private static ObjectNode somnus(ChatBackend.Memory memory) {
    ObjectNode somnus = JSON.objectNode().put("model_version", memory.modelVersion());
    ArrayNode written = somnus.putArray("facts_written");
    ArrayNode ids = somnus.putArray("fact_ids");
    memory.written().forEach(f -> {
      written.add(f.sentence());
      ids.add(f.id());
    });
    ArrayNode rejected = somnus.putArray("facts_rejected");
    memory.notWritten().forEach(rejected::add);
    ArrayNode changes = somnus.putArray("facts");
    for (ChatBackend.FactChange c : memory.changes()) {
      ObjectNode f = changes.addObject().put("id", c.id()).put("sentence", c.sentence()).put("change", c.change());
      if (c.replaces() != null) f.put("replaces", c.replaces());
      if (c.note() != null) f.put("note", c.note());
    }
    return somnus;
  }
}
