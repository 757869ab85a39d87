package io.somnus.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.cli.wake.ChatBackend;
import io.somnus.cli.wake.ChatBackend.FactChange;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI routes over a scripted backend: shapes, streaming, validation, and what reaches the model. */
class OpenAiApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CONTEXT = 64;

  private final List<String> remembered = new ArrayList<>();
  private final List<List<ChatMessage>> answered = new ArrayList<>();
  private final List<GenerationOptions> options = new ArrayList<>();
  /** The scripted answer, in the pieces the backend hands out. */
  private List<String> pieces = List.of("Mara ", "lives ", "in ", "Lisbon", ".");
  private WebServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    server = WebServer.start("127.0.0.1", 0, new OpenAiApi(new ChatBackend() {
      @Override
      public String modelId() {
        return "somnus-tiny";
      }

      @Override
      public int contextLength() {
        return CONTEXT;
      }

      @Override
      public int promptTokens(List<ChatMessage> messages) {
        // one token per word: enough to put a prompt over the context on purpose
        return messages.stream().mapToInt(m -> m.content().split("\\s+").length + 2).sum();
      }

      @Override
      public Memory remember(String userText) {
        if (userText.startsWith("Race:")) throw new io.somnus.store.AliasConflictException("aliases moved to generation 9");
        remembered.add(userText);
        return userText.contains("lives in")
            ? new Memory("mv-00000000000000a1", List.of(new WrittenFact("3a9f00c1d2e4", "Mara Okafor lives in Lisbon.")), List.of(),
                List.of(new FactChange("3a9f00c1d2e4", "Mara Okafor lives in Lisbon.", "UPDATE", "Mara Okafor lives in Porto.",
                    "replaces \"Porto\", held at stage 0")))
            : new Memory("mv-00000000000000a0", List.of(), List.of("Mara drives a Volvo. (object not in the model's vocabulary)"));
      }

      @Override
      public Answer answer(List<ChatMessage> messages, GenerationOptions o, Predicate<String> onText) {
        answered.add(messages);
        options.add(o);
        int sent = 0;
        for (String p : pieces) {
          sent++;
          if (!onText.test(p)) break;
        }
        return new Answer(promptTokens(messages), sent, sent == o.maxNewTokens() ? "length" : "stop");
      }
    }));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()) : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> chat(String fields) throws Exception {
    return call("POST", "/v1/chat/completions", "{\"model\": \"somnus-tiny\", " + fields + "}");
  }

  /** The {@code data:} payloads of a server-sent event stream, in order. */
  private static List<String> events(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.isBlank()) continue;
      assertTrue(block.startsWith("data: "), "every event is one data line: " + block);
      out.add(block.substring("data: ".length()));
    }
    return out;
  }

  @Test
  void answersInTheOpenAiShapeAndSaysWhatTheTurnWrote() throws Exception {
    HttpResponse<String> r = chat("""
        "max_tokens": 32, "messages": [
          {"role": "system", "content": "be brief"},
          {"role": "user", "content": "Mara Okafor lives in Lisbon."}]""");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode j = JSON.readTree(r.body());
    assertEquals("chat.completion", j.get("object").asText());
    assertEquals("somnus-tiny", j.get("model").asText());
    assertEquals("assistant", j.at("/choices/0/message/role").asText());
    assertEquals("Mara lives in Lisbon.", j.at("/choices/0/message/content").asText());
    assertEquals("stop", j.at("/choices/0/finish_reason").asText());
    assertEquals(4 + 7, j.at("/usage/prompt_tokens").asInt(), "the backend's own count: 2 + 2 and 5 + 2");
    assertEquals(5, j.at("/usage/completion_tokens").asInt());
    assertEquals(16, j.at("/usage/total_tokens").asInt());
    assertEquals("Mara Okafor lives in Lisbon.", j.at("/somnus/facts_written/0").asText());
    assertEquals("3a9f00c1d2e4", j.at("/somnus/fact_ids/0").asText());
    assertEquals("UPDATE", j.at("/somnus/facts/0/change").asText(), "each stated fact says what it did to memory");
    assertEquals("Mara Okafor lives in Porto.", j.at("/somnus/facts/0/replaces").asText());
    assertEquals("mv-00000000000000a1", j.at("/somnus/model_version").asText());
    assertEquals("3a9f00c1d2e4", r.headers().firstValue(OpenAiApi.FACTS_HEADER).orElseThrow());
    assertEquals("mv-00000000000000a1", r.headers().firstValue(OpenAiApi.VERSION_HEADER).orElseThrow());
    assertEquals(List.of("Mara Okafor lives in Lisbon."), remembered, "the facts come from the last user message");
    assertEquals(List.of(ChatMessage.system("be brief"), ChatMessage.user("Mara Okafor lives in Lisbon.")), answered.get(0));
    assertEquals(GenerationOptions.greedy(32), options.get(0), "temperature 0 unless asked: recall is dependable greedy");
  }

  @Test
  void aTurnThatWritesNothingSaysWhyAndSendsNoFactsHeader() throws Exception {
    HttpResponse<String> r = chat("\"messages\": [{\"role\": \"user\", \"content\": \"Mara drives a Volvo.\"}]");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode j = JSON.readTree(r.body());
    assertEquals(0, j.at("/somnus/facts_written").size());
    assertTrue(j.at("/somnus/facts_rejected/0").asText().contains("not in the model's vocabulary"), r.body());
    assertTrue(r.headers().firstValue(OpenAiApi.FACTS_HEADER).isEmpty());
  }

  @Test
  void withoutMaxTokensTheAnswerMayFillTheRestOfTheContext() throws Exception {
    chat("\"messages\": [{\"role\": \"user\", \"content\": \"Where does Mara live?\"}]");
    assertEquals(GenerationOptions.greedy(CONTEXT - (4 + 2)), options.get(0));
  }

  @Test
  void streamsChunksThatAssembleToTheAnswerThenDone() throws Exception {
    HttpResponse<String> r = chat("""
        "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Mara Okafor lives in Lisbon."}]""");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
    assertEquals("3a9f00c1d2e4", r.headers().firstValue(OpenAiApi.FACTS_HEADER).orElseThrow(), "headers go out before the first token");
    List<String> events = events(r.body());
    assertEquals("[DONE]", events.get(events.size() - 1));
    List<JsonNode> chunks = new ArrayList<>();
    for (String e : events.subList(0, events.size() - 1)) chunks.add(JSON.readTree(e));
    String id = chunks.get(0).get("id").asText();
    StringBuilder text = new StringBuilder();
    for (JsonNode c : chunks) {
      assertEquals("chat.completion.chunk", c.get("object").asText());
      assertEquals(id, c.get("id").asText(), "one id for the whole stream");
      if (c.get("choices").size() > 0) text.append(c.at("/choices/0/delta/content").asText(""));
    }
    assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
    assertEquals("3a9f00c1d2e4", chunks.get(0).at("/somnus/fact_ids/0").asText(), "the first chunk says what was written");
    assertEquals("Mara lives in Lisbon.", text.toString());
    assertEquals(1 + 5 + 1 + 1, chunks.size(), "role, one chunk per piece, finish, usage");
    JsonNode last = chunks.get(chunks.size() - 2);
    assertEquals("stop", last.at("/choices/0/finish_reason").asText());
    JsonNode usage = chunks.get(chunks.size() - 1);
    assertEquals(0, usage.get("choices").size());
    assertEquals(5, usage.at("/usage/completion_tokens").asInt());
    assertTrue(chunks.get(1).get("usage").isNull(), "with include_usage, the other chunks carry usage: null");
  }

  @Test
  void withoutIncludeUsageAStreamHasNoUsageChunk() throws Exception {
    List<String> events = events(chat("\"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Hi.\"}]").body());
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode c = JSON.readTree(e);
      assertFalse(c.has("usage"), e);
      assertEquals(1, c.get("choices").size(), e);
    }
  }

  @Test
  void stopSequencesCutTheAnswerStreamedOrNotAndEndTheGeneration() throws Exception {
    pieces = List.of("Lis", "bon", ". User", ": more", " text");
    JsonNode whole = JSON.readTree(chat("\"stop\": [\"User:\"], \"messages\": [{\"role\": \"user\", \"content\": \"Hi.\"}]").body());
    assertEquals("Lisbon. ", whole.at("/choices/0/message/content").asText());
    assertEquals("stop", whole.at("/choices/0/finish_reason").asText());
    assertEquals(4, whole.at("/usage/completion_tokens").asInt(), "generation ended at the piece that completed the stop string");

    List<String> events = events(chat("\"stream\": true, \"stop\": \"User:\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi.\"}]").body());
    StringBuilder text = new StringBuilder();
    for (String e : events.subList(0, events.size() - 1)) text.append(JSON.readTree(e).at("/choices/0/delta/content").asText(""));
    assertEquals("Lisbon. ", text.toString());
  }

  @Test
  void contentPartsAreJoinedTextAndOtherPartTypesAreRefused() throws Exception {
    HttpResponse<String> ok = chat("""
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Mara Okafor lives in Lisbon."},
                                                  {"type": "text", "text": "Where does she live?"}]}]""");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("Mara Okafor lives in Lisbon.\nWhere does she live?", remembered.get(0));

    HttpResponse<String> image = chat("""
        "messages": [{"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                                  {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]""");
    assertEquals(400, image.statusCode());
    JsonNode err = JSON.readTree(image.body()).get("error");
    assertEquals("messages[0].content[1].type", err.get("param").asText());
    assertTrue(err.get("message").asText().startsWith("Content part type 'image_url' is not supported"), image.body());
    assertEquals(1, remembered.size(), "the refused request wrote nothing");
  }

  @Test
  void aWriteThatRacedASleepIsA409ThatClientsRetry() throws Exception {
    HttpResponse<String> r = chat("\"messages\": [{\"role\": \"user\", \"content\": \"Race: Mara Okafor lives in Lisbon.\"}]");
    assertEquals(409, r.statusCode(), r.body());
    assertEquals("live_version_moved", JSON.readTree(r.body()).at("/error/code").asText());
    assertTrue(answered.isEmpty(), "no answer from a model whose memory write failed");
  }

  @Test
  void modelsAreListedAndRetrievedAndAnUnknownOneIsA404() throws Exception {
    JsonNode list = JSON.readTree(call("GET", "/v1/models", null).body());
    assertEquals("list", list.get("object").asText());
    assertEquals("somnus-tiny", list.at("/data/0/id").asText());
    assertEquals("model", list.at("/data/0/object").asText());

    HttpResponse<String> one = call("GET", "/v1/models/somnus-tiny", null);
    assertEquals(200, one.statusCode());
    assertEquals(list.at("/data/0"), JSON.readTree(one.body()));

    HttpResponse<String> unknown = call("GET", "/v1/models/gpt-4o", null);
    assertEquals(404, unknown.statusCode());
    JsonNode err = JSON.readTree(unknown.body()).get("error");
    assertEquals("model_not_found", err.get("code").asText());
    assertEquals("invalid_request_error", err.get("type").asText());
    assertTrue(err.get("message").asText().startsWith("The model 'gpt-4o' does not exist."), unknown.body());
  }

  @Test
  void aPromptOverTheContextIsA400WithTheTokenCountsAndWritesNothing() throws Exception {
    String words = "word ".repeat(CONTEXT);
    HttpResponse<String> over = chat("\"messages\": [{\"role\": \"user\", \"content\": \"Mara Okafor lives in Lisbon. " + words + "\"}]");
    assertEquals(400, over.statusCode());
    JsonNode err = JSON.readTree(over.body()).get("error");
    assertEquals("context_length_exceeded", err.get("code").asText());
    assertEquals("This model's maximum context length is 64 tokens. However, your messages resulted in 71 tokens. "
        + "Please reduce the length of the messages.", err.get("message").asText());

    HttpResponse<String> withAnswer = chat("\"max_tokens\": 60, \"messages\": [{\"role\": \"user\", \"content\": \"Mara Okafor lives in Lisbon.\"}]");
    assertEquals(400, withAnswer.statusCode());
    assertEquals("This model's maximum context length is 64 tokens. However, you requested 67 tokens (7 in the messages, "
        + "60 in the completion). Please reduce the length of the messages or completion.",
        JSON.readTree(withAnswer.body()).at("/error/message").asText());
    assertTrue(remembered.isEmpty(), "no fact of a refused request was written");
  }

  @Test
  void badRequestsGetOpenAiErrorsAndNeverReachTheModel() throws Exception {
    String user = "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
    String[][] cases = {
        // body, status, param, message
        {"{not json", "400", null, "The request body is not valid JSON: "},
        {"[1, 2]", "400", null, "The request body must be a JSON object, got an array."},
        {"{" + user + "}", "400", "model", "Missing required parameter: 'model'."},
        {"{\"model\": \"gpt-4o\", " + user + "}", "404", "model", "The model 'gpt-4o' does not exist. This server serves 'somnus-tiny'"},
        {"{\"model\": \"somnus-tiny\"}", "400", "messages", "Missing required parameter: 'messages'."},
        {"{\"model\": \"somnus-tiny\", \"messages\": []}", "400", "messages", "Invalid 'messages': empty array."},
        {"{\"model\": \"somnus-tiny\", \"messages\": \"hi\"}", "400", "messages", "Invalid type for 'messages': expected an array, but got a string instead."},
        {"{\"model\": \"somnus-tiny\", \"max_tokens\": \"lots\", " + user + "}", "400", "max_tokens",
            "Invalid type for 'max_tokens': expected an integer, but got a string instead."},
        {"{\"model\": \"somnus-tiny\", \"max_tokens\": 0, " + user + "}", "400", "max_tokens",
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead."},
        {"{\"model\": \"somnus-tiny\", \"max_tokens\": 2.5, " + user + "}", "400", "max_tokens",
            "Invalid type for 'max_tokens': expected an integer, but got a decimal instead."},
        {"{\"model\": \"somnus-tiny\", \"temperature\": 3, " + user + "}", "400", "temperature",
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead."},
        {"{\"model\": \"somnus-tiny\", \"temperature\": \"hot\", " + user + "}", "400", "temperature",
            "Invalid type for 'temperature': expected a decimal, but got a string instead."},
        {"{\"model\": \"somnus-tiny\", \"top_p\": 0, " + user + "}", "400", "top_p", "Invalid 'top_p': decimal at or below minimum value."},
        {"{\"model\": \"somnus-tiny\", \"stream\": \"yes\", " + user + "}", "400", "stream",
            "Invalid type for 'stream': expected a boolean, but got a string instead."},
        {"{\"model\": \"somnus-tiny\", \"stream_options\": {\"include_usage\": true}, " + user + "}", "400", "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled."},
        {"{\"model\": \"somnus-tiny\", \"n\": 2, " + user + "}", "400", "n", "'n' is not supported by this server (one answer per request"},
        {"{\"model\": \"somnus-tiny\", \"tools\": [{\"type\": \"function\"}], " + user + "}", "400", "tools", "'tools' is not supported by this server"},
        {"{\"model\": \"somnus-tiny\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"], " + user + "}", "400", "stop", "Invalid 'stop': array too long."},
        {"{\"model\": \"somnus-tiny\", \"best_of\": 2, " + user + "}", "400", "best_of", "Unrecognized request argument supplied: best_of"},
        {"{\"model\": \"somnus-tiny\", \"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "400", "messages[0].role",
            "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user' and 'assistant'."},
        {"{\"model\": \"somnus-tiny\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "400", "messages[0].role",
            "Role 'tool' is not supported: this server has no tools."},
        {"{\"model\": \"somnus-tiny\", \"messages\": [{\"role\": \"user\", \"content\": 42}]}", "400", "messages[0].content",
            "Invalid type for 'messages[0].content': expected a string or an array of content parts, but got an integer instead."},
        {"{\"model\": \"somnus-tiny\", \"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}", "400", "messages",
            "The last message must be the user's (role 'user')"},
    };
    for (String[] c : cases) {
      HttpResponse<String> r = call("POST", "/v1/chat/completions", c[0]);
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " -> " + r.body());
      JsonNode err = JSON.readTree(r.body()).get("error");
      assertTrue(err.get("message").asText().startsWith(c[3]), c[0] + " -> " + r.body());
      assertEquals("invalid_request_error", err.get("type").asText());
      if (c[2] == null) assertTrue(err.get("param").isNull(), r.body());
      else assertEquals(c[2], err.get("param").asText(), r.body());
    }
    assertTrue(remembered.isEmpty() && answered.isEmpty(), "no bad request reached the model");
  }

  @Test
  void theServersOwnErrorsAreInOpenAisShapeToo() throws Exception {
    HttpResponse<String> path = call("GET", "/v1/embeddings", null);
    assertEquals(404, path.statusCode());
    assertTrue(JSON.readTree(path.body()).at("/error/message").asText().startsWith("Unknown request URL: GET /v1/embeddings."), path.body());
    HttpResponse<String> method = call("GET", "/v1/chat/completions", null);
    assertEquals(405, method.statusCode(), method.body());
    assertEquals("Method GET is not allowed on /v1/chat/completions.", JSON.readTree(method.body()).at("/error/message").asText());
    HttpResponse<String> big = call("POST", "/v1/chat/completions", "{\"messages\": \"" + "x".repeat((int) WebServer.MAX_BODY_BYTES) + "\"}");
    assertEquals(413, big.statusCode(), big.body());
    assertTrue(answered.isEmpty());
  }
}
