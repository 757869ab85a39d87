package io.somnus.cli.wake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subset of the OpenAI HTTP API that chat clients need — {@code GET /v1/models} and
 * non-streaming {@code POST /v1/chat/completions} — over a {@link ChatBackend}. Requests are served
 * one at a time (the model and its memory writes are not concurrent); errors use OpenAI's
 * {@code {"error": {...}}} shape. Responses carry an extra {@code somnus} object listing the facts
 * the turn wrote or refused.
 */
public final class OpenAiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenAiServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_BODY_BYTES = 1 << 20;
  static final int MAX_TOKENS_LIMIT = 2048;
  private static final Set<String> ROLES = Set.of("system", "user", "assistant");

  private final HttpServer server;
  private final ChatBackend backend;
  private final ReentrantLock turn = new ReentrantLock(true);

  private OpenAiServer(HttpServer server, ChatBackend backend) {
    this.server = server;
    this.backend = backend;
  }

  /** Listens on {@code host:port} (port 0 = any free port). */
  public static OpenAiServer start(String host, int port, ChatBackend backend) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
    OpenAiServer s = new OpenAiServer(http, backend);
    http.createContext("/", s::handle);
    http.setExecutor(Executors.newFixedThreadPool(4));
    http.start();
    return s;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/v1/models")) {
        if (!method.equals("GET")) throw new ApiError(405, "invalid_request_error", "use GET for " + path);
        send(ex, 200, models());
      } else if (path.equals("/v1/chat/completions")) {
        if (!method.equals("POST")) throw new ApiError(405, "invalid_request_error", "use POST for " + path);
        send(ex, 200, complete(readBody(ex)));
      } else {
        throw new ApiError(404, "invalid_request_error", "unknown path " + path + " (served: /v1/models, /v1/chat/completions)");
      }
    } catch (ApiError e) {
      sendError(ex, e.status, e.type, e.getMessage());
    } catch (RuntimeException e) {
      log.warn("chat request failed", e);
      sendError(ex, 500, "server_error", "the model failed to answer: " + e.getMessage());
    } finally {
      ex.close();
    }
  }

  private ObjectNode models() {
    ObjectNode root = JSON.createObjectNode().put("object", "list");
    root.putArray("data").addObject().put("id", backend.modelId()).put("object", "model").put("owned_by", "somnus");
    return root;
  }

  private ObjectNode complete(JsonNode req) {
    if (!req.isObject()) throw new ApiError(400, "invalid_request_error", "the body must be a JSON object");
    if (req.path("stream").asBoolean(false)) throw new ApiError(400, "invalid_request_error", "stream=true is not supported; send stream=false");
    JsonNode msgs = req.get("messages");
    if (msgs == null || !msgs.isArray() || msgs.isEmpty()) throw new ApiError(400, "invalid_request_error", "'messages' must be a non-empty array");
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : msgs) {
      String role = m.path("role").asText("");
      JsonNode content = m.get("content");
      if (!ROLES.contains(role)) throw new ApiError(400, "invalid_request_error", "message role must be system, user or assistant, got '" + role + "'");
      if (content == null || !content.isTextual()) throw new ApiError(400, "invalid_request_error", "message content must be a string");
      messages.add(new ChatMessage(role, content.asText()));
    }
    if (!messages.get(messages.size() - 1).role().equals("user")) {
      throw new ApiError(400, "invalid_request_error", "the last message must be the user's");
    }
    GenerationOptions options = options(req);
    ChatBackend.Reply reply;
    turn.lock();
    try {
      reply = backend.chat(messages, options);
    } finally {
      turn.unlock();
    }
    ObjectNode root = JSON.createObjectNode()
        .put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""))
        .put("object", "chat.completion")
        .put("created", System.currentTimeMillis() / 1000)
        .put("model", backend.modelId());
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", reply.content());
    choice.put("finish_reason", reply.finishReason());
    root.putObject("usage").put("prompt_tokens", reply.promptTokens()).put("completion_tokens", reply.completionTokens())
        .put("total_tokens", reply.promptTokens() + reply.completionTokens());
    ObjectNode somnus = root.putObject("somnus");
    ArrayNode written = somnus.putArray("facts_written");
    reply.factsWritten().forEach(written::add);
    ArrayNode rejected = somnus.putArray("facts_rejected");
    reply.factsRejected().forEach(rejected::add);
    return root;
  }

  private static GenerationOptions options(JsonNode req) {
    int maxTokens = req.path("max_tokens").asInt(req.path("max_completion_tokens").asInt(128));
    double temperature = req.path("temperature").asDouble(0);
    double topP = req.path("top_p").asDouble(1);
    long seed = req.path("seed").asLong(0);
    if (maxTokens < 1 || maxTokens > MAX_TOKENS_LIMIT) throw new ApiError(400, "invalid_request_error", "max_tokens must be 1.." + MAX_TOKENS_LIMIT);
    if (temperature < 0 || temperature > 2) throw new ApiError(400, "invalid_request_error", "temperature must be in [0, 2]");
    if (!(topP > 0 && topP <= 1)) throw new ApiError(400, "invalid_request_error", "top_p must be in (0, 1]");
    return temperature == 0 ? GenerationOptions.greedy(maxTokens) : GenerationOptions.sampled(maxTokens, temperature, topP, seed);
  }

  private static JsonNode readBody(HttpExchange ex) throws IOException {
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
      // drain (up to a bound) what is left, so the client reads the 413 instead of a reset connection
      if (body.length > MAX_BODY_BYTES) in.transferTo(new BoundedSink(8L * MAX_BODY_BYTES));
    }
    if (body.length > MAX_BODY_BYTES) throw new ApiError(413, "invalid_request_error", "request body over " + MAX_BODY_BYTES + " bytes");
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null) throw new ApiError(400, "invalid_request_error", "empty request body");
      return n;
    } catch (JsonProcessingException e) {
      throw new ApiError(400, "invalid_request_error", "request body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sendError(HttpExchange ex, int status, String type, String message) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
    send(ex, status, root);
  }

  @Override
  public void close() {
    server.stop(1);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  /** Discards bytes, failing once more than {@code limit} arrive (then the connection is simply closed). */
  private static final class BoundedSink extends OutputStream {
    private long left;

    BoundedSink(long limit) {
      left = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      left -= len;
      if (left < 0) throw new IOException("request body far over the limit");
    }
  }

  /** A request the API refuses, with its HTTP status and OpenAI error type. */
  private static final class ApiError extends RuntimeException {
    final int status;
    final String type;

    ApiError(int status, String type, String message) {
      super(message);
      this.status = status;
      this.type = type;
    }
  }
}
