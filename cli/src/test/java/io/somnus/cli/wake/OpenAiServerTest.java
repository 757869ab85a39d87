package io.somnus.cli.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<List<ChatMessage>> seen = new ArrayList<>();
  private final List<GenerationOptions> options = new ArrayList<>();
  private OpenAiServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    server = OpenAiServer.start("127.0.0.1", 0, new ChatBackend() {
      @Override
      public String modelId() {
        return "somnus-tiny";
      }

      @Override
      public Reply chat(List<ChatMessage> messages, GenerationOptions o) {
        seen.add(messages);
        options.add(o);
        String last = messages.get(messages.size() - 1).content();
        return new Reply("echo: " + last, 7, 3, "stop", List.of("Mara Okafor | lives in | Lisbon"), List.of());
      }
    });
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

  @Test
  void answersInTheOpenAiShape() throws Exception {
    HttpResponse<String> r = call("POST", "/v1/chat/completions", """
        {"model": "somnus-tiny", "max_tokens": 32, "messages": [
          {"role": "system", "content": "be brief"},
          {"role": "user", "content": "Mara Okafor lives in Lisbon."}]}""");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode j = JSON.readTree(r.body());
    assertEquals("chat.completion", j.get("object").asText());
    assertEquals("somnus-tiny", j.get("model").asText());
    assertEquals("assistant", j.at("/choices/0/message/role").asText());
    assertEquals("echo: Mara Okafor lives in Lisbon.", j.at("/choices/0/message/content").asText());
    assertEquals("stop", j.at("/choices/0/finish_reason").asText());
    assertEquals(10, j.at("/usage/total_tokens").asInt());
    assertEquals("Mara Okafor | lives in | Lisbon", j.at("/somnus/facts_written/0").asText());
    assertEquals(List.of(ChatMessage.system("be brief"), ChatMessage.user("Mara Okafor lives in Lisbon.")), seen.get(0));
    assertEquals(GenerationOptions.greedy(32), options.get(0), "temperature 0 by default: greedy");

    HttpResponse<String> models = call("GET", "/v1/models", null);
    assertEquals(200, models.statusCode());
    assertEquals("somnus-tiny", JSON.readTree(models.body()).at("/data/0/id").asText());
  }

  @Test
  void badRequestsGetOpenAiErrorsAndNeverReachTheModel() throws Exception {
    String[][] cases = {
        {"POST", "/v1/chat/completions", "{not json", "400", "not valid JSON"},
        {"POST", "/v1/chat/completions", "{\"messages\": []}", "400", "non-empty array"},
        {"POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "400", "role"},
        {"POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stream\": true}", "400", "stream"},
        {"POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}", "400", "max_tokens"},
        {"POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}", "400", "last message"},
        {"GET", "/v1/chat/completions", null, "405", "POST"},
        {"GET", "/v1/embeddings", null, "404", "unknown path"},
    };
    for (String[] c : cases) {
      HttpResponse<String> r = call(c[0], c[1], c[2]);
      assertEquals(Integer.parseInt(c[3]), r.statusCode(), c[2] + " -> " + r.body());
      JsonNode err = JSON.readTree(r.body()).get("error");
      assertTrue(err.get("message").asText().contains(c[4]), c[2] + " -> " + r.body());
      assertEquals("invalid_request_error", err.get("type").asText());
    }
    HttpResponse<String> big = call("POST", "/v1/chat/completions", "{\"messages\": \"" + "x".repeat(OpenAiServer.MAX_BODY_BYTES) + "\"}");
    assertEquals(413, big.statusCode());
    assertTrue(seen.isEmpty(), "no bad request reached the model");
  }
}
