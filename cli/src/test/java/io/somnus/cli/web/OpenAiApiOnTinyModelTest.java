package io.somnus.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.cli.wake.GroundingFirewall;
import io.somnus.cli.wake.PatternFactExtractor;
import io.somnus.cli.wake.WakeChat;
import io.somnus.cli.wake.TinyWakeStore;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI routes over the real wake chat on the test-sized somnus-tiny: what a client gets from the model itself. */
class OpenAiApiOnTinyModelTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  private JsonNode post(int port, ObjectNode body, int status) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), r.body());
    if (!body.path("stream").asBoolean()) return JSON.readTree(r.body());
    // a stream, assembled: content, finish reason and usage from the chunks
    StringBuilder text = new StringBuilder();
    ObjectNode out = JSON.createObjectNode();
    for (String block : r.body().split("\n\n")) {
      String data = block.substring("data: ".length());
      if (data.equals("[DONE]")) break;
      JsonNode chunk = JSON.readTree(data);
      if (chunk.has("usage") && !chunk.get("usage").isNull()) out.set("usage", chunk.get("usage"));
      if (chunk.get("choices").isEmpty()) continue;
      text.append(chunk.at("/choices/0/delta/content").asText(""));
      if (!chunk.at("/choices/0/finish_reason").isNull()) out.put("finish_reason", chunk.at("/choices/0/finish_reason").asText());
    }
    return out.put("content", text.toString());
  }

  private static ObjectNode request(String user, boolean stream) {
    ObjectNode body = JSON.createObjectNode().put("model", "somnus-tiny-test").put("max_tokens", 24).put("stream", stream);
    body.putArray("messages").addObject().put("role", "user").put("content", user);
    if (stream) body.putObject("stream_options").put("include_usage", true);
    return body;
  }

  @Test
  void aStatedFactIsWrittenAndStreamedAnswersAreTheUnstreamedOnesWithTheModelsTokenCounts() throws Exception {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "openai-tiny")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      String v0 = tiny.baseVersion();
      AtomicInteger runs = new AtomicInteger();
      try (WakeMemory memory = tiny.memory()) {
        PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
        WakeChat chat = new WakeChat("somnus-tiny-test", memory, patterns, new GroundingFirewall(new HashSet<>(patterns.phrases())),
            () -> "wake-http-" + runs.incrementAndGet(), taught -> {});
        try (WebServer server = WebServer.start("127.0.0.1", 0, new OpenAiApi(chat))) {
          // the test model cannot produce every object (MEMIT refuses those, saying why): state facts until one is written
          WorldFact taught = null;
          JsonNode stated = null;
          int next = 0;
          while (taught == null) {
            WorldFact candidate = world.heldOutFacts().get(next++);
            stated = post(server.port(), request(candidate.fact().sentence(), false), 200);
            if (stated.at("/somnus/facts_written").isEmpty()) {
              assertTrue(stated.at("/somnus/facts_rejected/0").asText().startsWith(candidate.fact().sentence() + " ("), stated.toString());
              assertEquals(v0, registry.aliases().live(), "a refused fact makes no version");
            } else {
              taught = candidate;
            }
            assertTrue(next < 6, "none of 5 held-out facts could be written");
          }
          Fact fact = taught.fact();
          String live = registry.aliases().live();
          assertNotEquals(v0, live, "the statement made a new live version: " + stated.get("somnus"));
          assertEquals(live, stated.at("/somnus/model_version").asText());
          assertEquals(fact.id(), stated.at("/somnus/fact_ids/0").asText());
          assertTrue(ledger.tableOfVersion(live).orElseThrow().stream().anyMatch(r -> r.factId().equals(fact.id())));
          long[] prompt = memory.runtime().tokenizer().encodeChat(List.of(ChatMessage.user(fact.sentence())), true);
          assertEquals(prompt.length, stated.at("/usage/prompt_tokens").asInt(), "usage counts the model's own prompt tokens");

          JsonNode whole = post(server.port(), request(taught.question(), false), 200);
          JsonNode streamed = post(server.port(), request(taught.question(), true), 200);
          String answer = whole.at("/choices/0/message/content").asText();
          assertFalse(answer.isEmpty());
          assertEquals(answer, streamed.get("content").asText(), "streaming changes how the answer arrives, not what it is");
          assertEquals(whole.at("/choices/0/finish_reason").asText(), streamed.get("finish_reason").asText());
          assertEquals(whole.get("usage"), streamed.get("usage"));
          assertTrue(whole.at("/usage/completion_tokens").asInt() > 0 && whole.at("/usage/completion_tokens").asInt() <= 24, whole.toString());
          assertEquals(live, registry.aliases().live(), "a question writes nothing");

          ObjectNode tooLong = request(world.heldOutFacts().get(next).fact().sentence() + " " + "Where is the river? ".repeat(200), false);
          JsonNode refused = post(server.port(), tooLong, 400);
          int context = memory.runtime().config().maxPositionEmbeddings();
          assertTrue(refused.at("/error/message").asText().startsWith("This model's maximum context length is " + context + " tokens. "
              + "However, your messages resulted in "), refused.toString());
          assertEquals(live, registry.aliases().live(), "an over-long request writes nothing");
        }
      }
    }
  }
}
