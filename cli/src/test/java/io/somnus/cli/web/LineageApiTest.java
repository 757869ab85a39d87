package io.somnus.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.EmbeddedStack;
import io.somnus.infra.SomnusServices;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.Lineage;
import io.somnus.store.RunTracker;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.RunStatus;
import io.somnus.store.Tracking;
import io.somnus.workflows.RollbackWorkflow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lineage page's JSON over an embedded stack holding a base import, a wake write and a promoted sleep, plus a
 * sleep whose candidates were refused (one stack for all tests: none changes it); the page itself is driven in Chromium by CI (cli/src/test/node).
 */
class LineageApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;

  private static EmbeddedStack stack;
  private static WebServer server;
  private static final List<String[]> rollbacks = new ArrayList<>();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static ModelVersion base;
  private static ModelVersion woke;
  private static ModelVersion slept;
  private static final FactRowTemplate fact = new FactRowTemplate("3a9f00c1d2e4", "Mara Okafor", "lives in", "Lisbon");

  private record FactRowTemplate(String id, String subject, String relation, String object) {
    FactRow at(int stage, float scale, String run, String version, long t) {
      return new FactRow(id, subject, relation, object, null, scale > 0 ? "edit-1" : null, stage, scale, 1.0, stage > 0 ? 1.0 : null,
          run, version, Instant.ofEpochSecond(t));
    }
  }

  @BeforeAll
  static void start() throws Exception {
    stack = EmbeddedStack.start(ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dir.resolve("data").toString(),
        "SOMNUS_TEMPORAL_DEV_PORT", "0", "SOMNUS_MODEL_ID", "ui-test")), null);
    SomnusServices services = stack.services();
    ModelRegistry registry = services.registry();
    FactLedger ledger = services.ledger();
    base = registry.create(NewVersion.base(checkpoint("base"), "import-ui-test-1"));
    registry.promote(base.id(), "import-ui-test-1");
    ledger.write("import-ui-test-1", base.id(), List.of());
    woke = registry.create(new NewVersion(base.id(), checkpoint("base"), List.of(), List.of(), "wake-ui-test-2", Map.of()));
    ledger.write("wake-ui-test-2", woke.id(), List.of(fact.at(0, 1f, "wake-ui-test-2", woke.id(), 100)));
    registry.promote(woke.id(), "wake-ui-test-2");
    slept = registry.create(new NewVersion(woke.id(), checkpoint("fused"), List.of(services.objectStore().put(new byte[] {1, 2, 3})),
        List.of(), "sleep-ui-test-3", Map.of("chat_recall", 1.0)));
    ledger.write("sleep-ui-test-3", slept.id(), List.of(fact.at(1, 0.5f, "sleep-ui-test-3", slept.id(), 200)));
    registry.promote(slept.id(), "sleep-ui-test-3");

    Tracking tracking = services.tracking();
    String promoted = tracking.startRun(services.experiment(), "sleep-ui-test-3", Map.of(Lineage.RUN_ID_TAG, "sleep-ui-test-3",
        Lineage.MODEL_VERSION_TAG, slept.id(), RunTracker.KIND_TAG, "sleep", RunTracker.OUTCOME_TAG, "promoted"));
    tracking.endRun(promoted, RunStatus.FINISHED);
    Thread.sleep(20); // runs are listed by start time
    String refused = tracking.startRun(services.experiment(), "sleep-ui-test-4", Map.of(Lineage.RUN_ID_TAG, "sleep-ui-test-4",
        RunTracker.KIND_TAG, "sleep", RunTracker.OUTCOME_TAG, "kept-live"));
    tracking.logParams(refused, Map.of("attempt_1_refused", "lost 1 recalled answer", "attempt_2_refused", "perplexity +4 %"));
    tracking.endRun(refused, RunStatus.FINISHED);

    server = WebServer.start("127.0.0.1", 0, new LineageApi(services, (target, reason) -> {
      rollbacks.add(new String[] {target, reason});
      return new RollbackWorkflow.Result("rollback-ui-test-5", slept.id(), target);
    }));
  }

  @AfterAll
  static void stop() {
    server.close();
    stack.close();
  }

  private static Path checkpoint(String name) throws Exception {
    Path d = Files.createDirectories(dir.resolve("checkpoints").resolve(name));
    Files.writeString(d.resolve("config.json"), "{\"name\": \"" + name + "\"}");
    Files.writeString(d.resolve("model.safetensors"), "weights of " + name);
    return d;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get("/api/lineage" + path);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private HttpResponse<String> rollback(String contentType, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/lineage/rollback"))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theOverviewIsTheVersionGraphWithKindsAndAliases() throws Exception {
    JsonNode o = json("/overview");
    assertEquals("ui-test", o.get("model").asText());
    assertEquals(slept.id(), o.at("/aliases/live").asText());
    assertEquals(woke.id(), o.at("/aliases/previous").asText());
    JsonNode versions = o.get("versions");
    assertEquals(List.of(base.id(), woke.id(), slept.id()), List.of(versions.get(0).get("id").asText(), versions.get(1).get("id").asText(),
        versions.get(2).get("id").asText()));
    assertEquals("base", versions.get(0).get("kind").asText());
    assertEquals("wake", versions.get(1).get("kind").asText());
    assertEquals("sleep", versions.get(2).get("kind").asText());
    assertEquals(woke.id(), versions.get(2).get("parent").asText());
    assertTrue(versions.get(2).get("live").asBoolean());
    assertEquals(1, versions.get(2).get("adapters").asInt());
  }

  @Test
  void factsAreTheLiveTableAndAFactsHistoryIsEveryRecordOfIt() throws Exception {
    JsonNode facts = json("/facts");
    assertEquals(slept.id(), facts.get("version").asText());
    assertEquals(1, facts.get("facts").size());
    assertEquals(1, facts.at("/facts/0/stage").asInt());

    JsonNode history = json("/facts/" + fact.id());
    assertEquals(2, history.get("records").size());
    assertEquals("wake-ui-test-2", history.at("/records/0/runId").asText());
    assertEquals(0.5, history.at("/records/1/memitScale").asDouble());
    assertEquals("stage 0→1", history.at("/changes/1/changes/0").asText());
    assertEquals(404, get("/api/lineage/facts/abcdef").statusCode());
    assertEquals(400, get("/api/lineage/facts/not-a-fact").statusCode());
  }

  @Test
  void runsCarryOutcomesAndRefusalReasonsAndADiffListsChangedFacts() throws Exception {
    JsonNode runs = json("/runs");
    assertEquals("sleep-ui-test-4", runs.at("/0/runId").asText());
    assertEquals("kept-live", runs.at("/0/outcome").asText());
    assertEquals("lost 1 recalled answer", runs.at("/0/reasons/attempt_1_refused").asText());
    assertEquals("perplexity +4 %", runs.at("/0/reasons/attempt_2_refused").asText());
    assertEquals("promoted", runs.at("/1/outcome").asText());
    JsonNode one = json("/runs/sleep-ui-test-3");
    assertEquals(slept.id(), one.get("modelVersion").asText());
    assertTrue(one.get("workflow").isNull(), "no history was saved for this run");
    assertEquals(404, get("/api/lineage/runs/sleep-nope").statusCode());

    JsonNode diff = json("/diff?from=" + woke.id() + "&to=" + slept.id());
    assertEquals("CHANGED", diff.at("/changes/0/kind").asText());
    assertEquals(0, diff.at("/changes/0/before/stage").asInt());
    assertEquals(1, diff.at("/changes/0/after/stage").asInt());
  }

  @Test
  void aRollbackIsStartedOnlyWhenConfirmedAgainstTheLiveVersionTheUserSaw() throws Exception {
    String live = slept.id();
    String[][] refused = {
        // content type, body, status, message start
        {"text/plain", "{\"to\": \"" + base.id() + "\", \"reason\": \"r\", \"expectedLive\": \"" + live + "\"}", "415", "Send the rollback as application/json."},
        {"application/json", "{\"to\": \"" + base.id() + "\", \"expectedLive\": \"" + live + "\"}", "400", "Give a reason"},
        {"application/json", "{\"to\": \"" + base.id() + "\", \"reason\": \"r\"}", "400", "Give the live version you saw"},
        {"application/json", "{\"to\": \"" + base.id() + "\", \"reason\": \"r\", \"expectedLive\": \"" + woke.id() + "\"}", "409",
            "Live is " + live + " now, not " + woke.id()},
        {"application/json", "{\"to\": \"mv-00000000000000ff\", \"reason\": \"r\", \"expectedLive\": \"" + live + "\"}", "404", "model version mv-00000000000000ff"},
        {"application/json", "{\"to\": \"yesterday\", \"reason\": \"r\", \"expectedLive\": \"" + live + "\"}", "400", "A model version id looks like"},
        {"application/json", "{\"to\": \"" + live + "\", \"reason\": \"r\", \"expectedLive\": \"" + live + "\"}", "400", live + " is already live."},
    };
    for (String[] c : refused) {
      HttpResponse<String> r = rollback(c[0], c[1]);
      assertEquals(Integer.parseInt(c[2]), r.statusCode(), c[1] + " -> " + r.body());
      assertTrue(JSON.readTree(r.body()).at("/error/message").asText().startsWith(c[3]), c[1] + " -> " + r.body());
    }
    assertTrue(rollbacks.isEmpty(), "no refused request started a rollback");
    // (the rollback itself is stubbed here; the page's real one runs the RollbackWorkflow in CI's browser test)

    HttpResponse<String> ok = rollback("application/json", "{\"to\": \"" + base.id() + "\", \"reason\": \"bad fuse\", \"expectedLive\": \"" + live + "\"}");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(1, rollbacks.size());
    assertEquals(base.id(), rollbacks.get(0)[0]);
    assertEquals("bad fuse", rollbacks.get(0)[1]);
    assertEquals("rollback-ui-test-5", JSON.readTree(ok.body()).get("runId").asText());
  }

  @Test
  void aServerWithoutRollbacksIsReadOnlyAndSaysHowToRollBack() throws Exception {
    try (WebServer readOnly = WebServer.start("127.0.0.1", 0, new LineageApi(stack.services(), null))) {
      URI base = URI.create("http://127.0.0.1:" + readOnly.port());
      JsonNode overview = JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/api/lineage/overview")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertEquals(false, overview.get("rollback").asBoolean());
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/lineage/rollback")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"r\", \"expectedLive\": \"" + slept.id() + "\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(403, r.statusCode());
      assertTrue(JSON.readTree(r.body()).at("/error/message").asText().contains("somnus rollback"), r.body());
    }
    assertTrue(json("/overview").get("rollback").asBoolean());
  }

  @Test
  void thePageAndEveryBrowserLibraryItLoadsAreServed() throws Exception {
    HttpResponse<String> page = get("/ui/");
    assertEquals(200, page.statusCode());
    Matcher scripts = Pattern.compile("src=\"(/webjars/[^\"]+)\"").matcher(page.body());
    int found = 0;
    while (scripts.find()) {
      found++;
      assertEquals(200, get(scripts.group(1)).statusCode(), scripts.group(1) + ": index.html and the pom's WebJar versions disagree");
    }
    assertEquals(3, found, "vue, cytoscape, chart.js");
    for (String module : List.of("app.js", "api.js", "graph.js", "charts.js", "views/versions.js", "views/facts.js", "views/runs.js",
        "views/diff.js", "views/rollback.js", "style.css")) {
      assertEquals(200, get("/ui/" + module).statusCode(), module);
    }
  }
}
