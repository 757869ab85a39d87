package io.somnus.cli.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.somnus.cli.wake.ChatBackend;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.store.AliasConflictException;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of OpenAI's HTTP API that chat clients use — {@code GET /v1/models}, {@code GET /v1/models/{id}},
 * {@code POST /v1/chat/completions} streamed or not — over a {@link ChatBackend}.
 *
 * <p>A request is checked whole before the model sees it (a bad one writes nothing); then the facts stated in the
 * last user message are written into the weights, then the model answers. Turns run one at a time: the model and its
 * memory writes are not concurrent. What a turn wrote is in the response's {@code somnus} object (a stream's first
 * chunk) and in the headers {@value #VERSION_HEADER} and {@value #FACTS_HEADER}.
 */
public final class OpenAiApi implements WebServer.Routes {
  /** The live model version that answered. */
  public static final String VERSION_HEADER = "Somnus-Model-Version";
  /** Ids of the facts the turn wrote (comma-separated); absent when it wrote none. */
  public static final String FACTS_HEADER = "Somnus-Facts-Written";

  private static final Logger log = LoggerFactory.getLogger(OpenAiApi.class);

  private final ChatBackend backend;
  private final ReentrantLock turn = new ReentrantLock(true);
  private final long startedAt = Instant.now().getEpochSecond();

  public OpenAiApi(ChatBackend backend) {
    this.backend = backend;
  }

  @Override
  public void addTo(JavalinConfig config) {
    RoutesConfig routes = config.routes;
    routes.get("/v1/models", ctx -> {
      ObjectNode list = Json.object().put("object", "list");
      list.putArray("data").add(ChatCompletionJson.model(backend.modelId(), startedAt));
      Json.send(ctx, 200, list);
    });
    routes.get("/v1/models/{model}", ctx -> Json.send(ctx, 200, ChatCompletionJson.model(servedModel(ctx.pathParam("model")), startedAt)));
    routes.post("/v1/chat/completions", this::complete);
  }

  private String servedModel(String requested) {
    if (!requested.equals(backend.modelId())) {
      throw ApiError.notFound("model", "model_not_found", "The model '" + requested + "' does not exist. This server serves '"
          + backend.modelId() + "' (GET /v1/models lists it).");
    }
    return requested;
  }

  private void complete(Context ctx) throws IOException {
    ChatCompletionRequest request = ChatCompletionRequest.parse(Json.read(ctx));
    servedModel(request.model());
    turn.lock();
    try {
      GenerationOptions options = options(request, backend.promptTokens(request.messages()));
      List<ChatMessage> messages = request.messages();
      ChatBackend.Memory memory;
      try {
        memory = backend.remember(messages.get(messages.size() - 1).content());
      } catch (AliasConflictException e) {
        // a sleep or rollback moved live during the write; nothing was promoted. OpenAI SDKs retry a 409 by themselves.
        throw new ApiError(409, "invalid_request_error", null, "live_version_moved",
            "The live model changed while this turn's facts were being written (a sleep or rollback); nothing was written. Retry the request.");
      }
      ctx.header(VERSION_HEADER, memory.modelVersion());
      if (!memory.written().isEmpty()) {
        ctx.header(FACTS_HEADER, memory.written().stream().map(ChatBackend.WrittenFact::id).collect(Collectors.joining(",")));
      }
      ChatCompletionJson json = new ChatCompletionJson("chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
          Instant.now().getEpochSecond(), backend.modelId());
      if (request.stream()) stream(ctx, request, options, memory, json);
      else answer(ctx, request, options, memory, json);
    } finally {
      turn.unlock();
    }
  }

  /**
   * Decoding settings, once the prompt is known to fit: without {@code max_tokens} the answer may fill the rest of the
   * context, as OpenAI's does; with it, prompt and answer must fit together.
   */
  private GenerationOptions options(ChatCompletionRequest request, int promptTokens) {
    int context = backend.contextLength();
    if (promptTokens >= context) {
      throw ApiError.invalid("messages", "context_length_exceeded", "This model's maximum context length is " + context
          + " tokens. However, your messages resulted in " + promptTokens + " tokens. Please reduce the length of the messages.");
    }
    Integer requested = request.maxTokens();
    if (requested != null && promptTokens + requested > context) {
      throw ApiError.invalid("messages", "context_length_exceeded", "This model's maximum context length is " + context
          + " tokens. However, you requested " + (promptTokens + requested) + " tokens (" + promptTokens + " in the messages, "
          + requested + " in the completion). Please reduce the length of the messages or completion.");
    }
    int maxTokens = requested != null ? requested : context - promptTokens;
    return request.temperature() == 0 ? GenerationOptions.greedy(maxTokens)
        : GenerationOptions.sampled(maxTokens, request.temperature(), request.topP(), request.seed());
  }

  private void answer(Context ctx, ChatCompletionRequest request, GenerationOptions options, ChatBackend.Memory memory,
      ChatCompletionJson json) {
    StopSequences stop = new StopSequences(request.stop());
    StringBuilder content = new StringBuilder();
    ChatBackend.Answer answer = backend.answer(request.messages(), options, piece -> {
      content.append(stop.accept(piece));
      return !stop.stopped();
    });
    content.append(stop.flush());
    Json.send(ctx, 200, json.completion(content.toString(), stop.stopped() ? "stop" : answer.finishReason(), answer, memory));
  }

  /**
   * Server-sent events: a first chunk with the role and the {@code somnus} object, a chunk per piece of text as the
   * model produces it, a last chunk with the finish reason, the usage chunk if asked for, then {@code data: [DONE]}.
   * A client that goes away ends the generation (and frees the model for the next turn).
   */
  private void stream(Context ctx, ChatCompletionRequest request, GenerationOptions options, ChatBackend.Memory memory,
      ChatCompletionJson json) throws IOException {
    EventStream events = new EventStream(ctx.res());
    boolean usage = request.includeUsage();
    if (!events.send(json.firstChunk(memory, usage))) return;
    StopSequences stop = new StopSequences(request.stop());
    ChatBackend.Answer answer;
    try {
      answer = backend.answer(request.messages(), options, piece -> {
        String text = stop.accept(piece);
        return (text.isEmpty() || events.send(json.textChunk(text, usage))) && !stop.stopped();
      });
    } catch (RuntimeException e) {
      log.warn("a streamed answer failed", e);
      // the status line is long sent: the failure goes to the client as an error event, as OpenAI's streams do
      events.send(new ApiError(500, "server_error", null, null, "the model failed while answering: " + e.getMessage()).body());
      return;
    }
    String rest = stop.flush();
    if (!rest.isEmpty()) events.send(json.textChunk(rest, usage));
    events.send(json.finalChunk(stop.stopped() ? "stop" : answer.finishReason(), usage));
    if (usage) events.send(json.usageChunk(answer));
    events.data("[DONE]");
  }
}
