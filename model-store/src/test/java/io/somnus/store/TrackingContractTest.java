package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same tracking scenario against both backends: what a sleep records must read back the same. */
class TrackingContractTest {
  @TempDir Path root;

  @Test
  void localTracking() {
    try (LocalTracking t = new LocalTracking(root.resolve("tracking"))) {
      scenario(t);
      // Readable by a fresh instance (another process, e.g. the CLI) with no server.
      LocalTracking reader = new LocalTracking(root.resolve("tracking"));
      assertEquals(2, reader.searchRuns("somnus-sleeps", Map.of()).size());
      assertEquals(2, reader.modelVersions("somnus-live").size());
      String first = reader.searchRuns("somnus-sleeps", Map.of("workflow_id", "wf-1")).get(0).runId();
      assertThrows(TrackingException.class, () -> reader.logParams(first, Map.of("lr", "0.5")), "a logged param cannot change");
      reader.logParams(first, Map.of("reason", "x".repeat(600)));
      reader.logParams(first, Map.of("reason", "x".repeat(600)));  // logged again (a retried step): the same value
      assertEquals("x".repeat(499) + "…", reader.getRun(first).params().get("reason"));
    }
  }

  @Test
  void mlflowTrackingAgainstRestApi() throws Exception {
    try (FakeMlflowServer server = new FakeMlflowServer(); MlflowTracking t = new MlflowTracking(server.uri())) {
      scenario(t);

      // What the client sent, endpoint by endpoint.
      assertEquals("GET", server.requests("experiments/get-by-name").get(0).method());
      assertEquals("somnus-sleeps", server.requests("experiments/get-by-name").get(0).query().get("experiment_name"));
      assertEquals(1, server.requests("experiments/create").size(), "experiment created once, then found by name");
      var create = server.requests("runs/create").get(0).body();
      assertEquals("1", create.path("experiment_id").asText());
      assertEquals("sleep-1", create.path("run_name").asText());
      assertTrue(create.path("start_time").asLong() > 0);
      assertTrue(create.path("tags").toString().contains("\"wf-1\""), create.toString());

      List<Integer> metricBatchSizes = new ArrayList<>();
      int paramBatches = 0;
      for (var r : server.requests("runs/log-batch")) {
        assertEquals("POST", r.method());
        if (r.body().path("metrics").size() > 0) metricBatchSizes.add(r.body().path("metrics").size());
        if (r.body().path("params").size() > 0) paramBatches++;
      }
      assertEquals(List.of(1000, 1000, 501), metricBatchSizes, "2501 points in batches within MLflow's 1000-metric limit");
      assertEquals(2, paramBatches, "150 params in batches of at most 100");
      var firstMetric = server.requests("runs/log-batch").stream().filter(r -> r.body().path("metrics").size() > 0).findFirst().orElseThrow()
          .body().path("metrics").get(0);
      assertTrue(firstMetric.has("key") && firstMetric.has("value") && firstMetric.has("timestamp") && firstMetric.has("step"), firstMetric.toString());

      var update = server.requests("runs/update").get(0).body();
      assertEquals("FINISHED", update.path("status").asText());
      assertTrue(update.path("end_time").asLong() > 0);
      assertEquals(1, server.requests("registered-models/create").size(), "model created once per process");
      assertEquals(2, server.requests("model-versions/create").size());
      var mv = server.requests("model-versions/create").get(1).body();
      assertEquals("somnus-live", mv.path("name").asText());
      assertEquals("s3://somnus/registry/versions/mv-00000000000000b2.json", mv.path("source").asText());
      assertTrue(server.requests("runs/search").get(0).body().path("filter").asText().contains("tags.`workflow_id` = 'wf-1'"));

      t.logParams(t.searchRuns("somnus-sleeps", Map.of("workflow_id", "wf-1")).get(0).runId(), Map.of("reason", "x".repeat(600)));
      var batches = server.requests("runs/log-batch");
      assertEquals("x".repeat(499) + "…", batches.get(batches.size() - 1).body().path("params").get(0).path("value").asText(),
          "a value over MLflow's old 500-character limit is cut, not refused by the server");
    }
  }

  @Test
  void unreachableMlflowIsAClearError() {
    try (MlflowTracking t = new MlflowTracking("http://127.0.0.1:1")) {
      TrackingException e = assertThrows(TrackingException.class, () -> t.startRun("x", "y", Map.of()));
      assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
    }
  }

  private static void scenario(Tracking t) {
    String run1 = t.startRun("somnus-sleeps", "sleep-1", Map.of("workflow_id", "wf-1"));
    Map<String, String> params = new LinkedHashMap<>();
    params.put("lr", "1e-4");
    IntStream.range(0, 149).forEach(i -> params.put("fact.f" + i + ".stage_before", Integer.toString(i % 4)));
    t.logParams(run1, params);
    List<MetricPoint> points = new ArrayList<>();
    for (int step = 0; step < 2500; step++) points.add(new MetricPoint("loss", 3.0 / (1 + step), step, 1_700_000_000_000L + step));
    points.add(new MetricPoint("fact.f1.raw_recall", 0.8, 1, 1_700_000_000_000L));
    t.logMetrics(run1, points);
    t.setTag(run1, "kind", "sleep");
    t.logArtifactLink(run1, "checkpoint", "s3://somnus/sha256/" + "ab".repeat(32));
    t.endRun(run1, RunStatus.FINISHED);

    TrackedRun r = t.getRun(run1);
    assertEquals(run1, r.runId());
    assertEquals("somnus-sleeps", r.experiment());
    assertEquals("sleep-1", r.runName());
    assertEquals(RunStatus.FINISHED, r.status());
    assertNotNull(r.endTime());
    assertEquals("1e-4", r.params().get("lr"));
    assertEquals(150, r.params().size());
    assertEquals("wf-1", r.tags().get("workflow_id"));
    assertEquals(3.0 / 2500, r.latestMetrics().get("loss"), 1e-12, "latest = value at the highest step");
    assertEquals(0.8, r.latestMetrics().get("fact.f1.raw_recall"));
    assertEquals(Map.of("checkpoint", "s3://somnus/sha256/" + "ab".repeat(32)), r.artifactLinks());
    List<MetricPoint> loss = t.metricHistory(run1, "loss");
    assertEquals(2500, loss.size());
    assertEquals(0, loss.get(0).step());
    assertEquals(3.0, loss.get(0).value());

    String run2 = t.startRun("somnus-sleeps", "sleep-2", Map.of("workflow_id", "wf-2"));
    assertEquals(List.of(run1), t.searchRuns("somnus-sleeps", Map.of("workflow_id", "wf-1")).stream().map(TrackedRun::runId).toList());
    assertEquals(2, t.searchRuns("somnus-sleeps", Map.of()).size());
    assertEquals(RunStatus.RUNNING, t.getRun(run2).status());
    assertTrue(t.searchRuns("no-such-experiment", Map.of()).isEmpty());

    ModelRegistration v1 = t.registerModelVersion("somnus-live", "s3://somnus/registry/versions/mv-00000000000000b1.json", run1, Map.of("version_id", "mv-00000000000000b1"));
    ModelRegistration v2 = t.registerModelVersion("somnus-live", "s3://somnus/registry/versions/mv-00000000000000b2.json", run2, Map.of());
    assertEquals("1", v1.version());
    assertEquals("2", v2.version());

    assertThrows(TrackingException.class, () -> t.getRun("0".repeat(32)));
    assertThrows(IllegalArgumentException.class, () -> t.setTag(run1, "bad key!", "x"));
  }
}
