package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same tracking scenarios against every backend: local files, and MLflow (the real 2.17.2 server in CI, see
 * {@link TestMlflow}, else the fake). What a sleep records must read back the same.
 */
class TrackingContractTest {
  static TestMlflow mlflow;
  @TempDir Path root;

  @BeforeAll
  static void server() {
    mlflow = TestMlflow.open("TrackingContractTest");
  }

  @AfterAll
  static void stop() {
    mlflow.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void aSleepsRecordsReadBack(String backend) {
    String exp = mlflow.unique("sleeps-" + backend);
    String model = mlflow.unique("live-" + backend);
    try (Tracking t = mlflow.tracking(backend, root)) {
      scenario(t, exp, model);
    }
  }

  @Test
  void localRecordsAreReadableByAnotherInstanceWithoutAServer() {
    try (LocalTracking t = new LocalTracking(root.resolve("tracking"))) {
      scenario(t, "somnus-sleeps", "somnus-live");
    }
    LocalTracking reader = new LocalTracking(root.resolve("tracking"));
    assertEquals(2, reader.searchRuns("somnus-sleeps", Map.of()).size());
    assertEquals(2, reader.modelVersions("somnus-live").size());
  }

  /** A tag value with an apostrophe (or any quote) is found: "already recorded?" and lineage look runs up by tag. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void tagValuesWithQuotesAndBackslashesAreFoundExactly(String backend) {
    String exp = mlflow.unique("quoting-" + backend);
    List<String> values = List.of("it's", "say \"hi\"", "both ' and \"", "a\\b", "ends\\", "50%_x", "ünï 😀", "plain");
    // Values a LIKE superset would also match: they must not come back.
    List<String> decoys = List.of("both _ and _", "a_b", "ends_", "50%_y", "IT'S");
    try (Tracking t = mlflow.tracking(backend, root)) {
      Map<String, String> runs = new LinkedHashMap<>();
      for (String v : values) runs.put(v, t.startRun(exp, "r", Map.of(Lineage.RUN_ID_TAG, v)));
      for (String v : decoys) t.startRun(exp, "decoy", Map.of(Lineage.RUN_ID_TAG, v));
      for (String v : values) {
        List<TrackedRun> found = t.searchRuns(exp, Map.of(Lineage.RUN_ID_TAG, v));
        assertEquals(List.of(runs.get(v)), found.stream().map(TrackedRun::runId).toList(), "search for " + v);
      }
      String two = t.startRun(exp, "two tags", Map.of(Lineage.RUN_ID_TAG, "it's", "somnus.kind", "say \"hi\""));
      assertEquals(List.of(two), t.searchRuns(exp, Map.of(Lineage.RUN_ID_TAG, "it's", "somnus.kind", "say \"hi\"")).stream()
          .map(TrackedRun::runId).toList());
    }
    if (backend.equals("mlflow")) mlflow.fake().ifPresent(f -> assertTrue(f.requests("runs/search").stream()
        .anyMatch(r -> r.body().path("filter").asText().equals("tags.`somnus.run_id` = \"it's\"")), "an apostrophe goes inside double quotes, verbatim"));
  }

  /** Params are immutable in MLflow: the same value again is accepted (retried steps), a changed one refused whole. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void paramsAreIdempotentAndAChangeIsRefusedWhole(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      String run = t.startRun(mlflow.unique("params-" + backend), "p", Map.of());
      t.logParams(run, Map.of("lr", "1e-4", "rank", "8"));
      t.logParams(run, Map.of("lr", "1e-4", "rank", "8")); // a retried step
      t.logParams(run, Map.of("lr", "1e-4", "seed", "7")); // one known, one new
      ParamConflictException e = assertThrows(ParamConflictException.class,
          () -> t.logParams(run, Map.of("lr", "5e-5", "steps", "40")));
      assertEquals(List.of(new ParamConflictException.Conflict("lr", "1e-4", "5e-5")), e.conflicts());
      assertTrue(e.getMessage().contains("lr is '1e-4', not '5e-5'") && e.getMessage().contains("nothing was logged"), e.getMessage());
      assertEquals(Map.of("lr", "1e-4", "rank", "8", "seed", "7"), t.getRun(run).params(), "the refused call logged nothing, not even steps");

      t.logParams(run, Map.of("reason", "x".repeat(600)));
      t.logParams(run, Map.of("reason", "x".repeat(600)));
      assertEquals("x".repeat(499) + "…", t.getRun(run).params().get("reason"), "a value over old servers' 500 characters is cut, not refused");
    }
  }

  /** A retried step logging the same points changes nothing (MLflow stores identical points once). */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void identicalMetricPointsAreStoredOnce(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      String run = t.startRun(mlflow.unique("metrics-" + backend), "m", Map.of());
      List<MetricPoint> curve = List.of(new MetricPoint("loss", 2.0, 0, 1_000), new MetricPoint("loss", 1.5, 1, 2_000));
      t.logMetrics(run, curve);
      t.logMetrics(run, curve);
      assertEquals(curve, t.metricHistory(run, "loss"));
      t.logMetrics(run, List.of(new MetricPoint("loss", 1.4, 1, 2_500))); // a different point at the same step is a new point
      assertEquals(3, t.metricHistory(run, "loss").size());
      t.logMetrics(run, List.of(new MetricPoint("ppl", Double.NaN, 0, 3_000)));
      assertTrue(Double.isNaN(t.metricHistory(run, "ppl").get(0).value()), "NaN survives JSON");
      assertTrue(t.metricHistory("f".repeat(32), "loss").isEmpty(), "an unknown run has no history, as MLflow answers");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void runsKeepTheStartAndEndTimesTheyAreGiven(String backend) {
    Instant start = Instant.parse("2026-01-02T03:04:05.678Z");
    Instant end = start.plusSeconds(1234);
    try (Tracking t = mlflow.tracking(backend, root)) {
      String run = t.startRun(mlflow.unique("times-" + backend), "sleep", Map.of(), start);
      assertEquals(start, t.getRun(run).startTime());
      t.endRun(run, RunStatus.KILLED, end);
      TrackedRun r = t.getRun(run);
      assertEquals(end, r.endTime());
      assertEquals(RunStatus.KILLED, r.status());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void registeredModelsHaveVersionsTagsAndAliases(String backend) {
    String name = mlflow.unique("registry-" + backend);
    try (Tracking t = mlflow.tracking(backend, root)) {
      assertEquals(Optional.empty(), t.registeredModel(name));
      assertTrue(t.modelVersions(name).isEmpty());
      t.ensureRegisteredModel(name, "mirror of x");
      t.ensureRegisteredModel(name, "mirror of x"); // exists: fine
      ModelRegistration v1 = t.registerModelVersion(name, "s3://somnus/registry/versions/mv-00000000000000a1.json", null,
          Map.of("somnus.version_id", "mv-00000000000000a1"), "the base");
      ModelRegistration v2 = t.registerModelVersion(name, "s3://somnus/registry/versions/mv-00000000000000a2.json", null, Map.of());
      assertEquals(List.of("1", "2"), t.modelVersions(name).stream().map(ModelRegistration::version).toList());
      assertEquals(Map.of("somnus.version_id", "mv-00000000000000a1"), t.modelVersions(name).get(0).tags());
      assertEquals("the base", t.modelVersions(name).get(0).description());
      assertEquals(v2.source(), t.modelVersions(name).get(1).source());

      t.setModelAlias(name, "live", v2.version());
      t.setModelAlias(name, "previous", v1.version());
      t.setModelAlias(name, "live", v1.version()); // moves
      t.setRegisteredModelTag(name, "somnus.generation", "3");
      RegisteredModel m = t.registeredModel(name).orElseThrow();
      assertEquals(Map.of("live", "1", "previous", "1"), m.aliases());
      assertEquals("3", m.tags().get("somnus.generation"));
      t.deleteModelAlias(name, "previous");
      t.deleteModelAlias(name, "previous"); // gone already: fine
      assertEquals(Map.of("live", "1"), t.registeredModel(name).orElseThrow().aliases());

      t.deleteModelVersion(name, v2.version());
      assertEquals(List.of("1"), t.modelVersions(name).stream().map(ModelRegistration::version).toList());
      assertEquals("3", t.registerModelVersion(name, "s3://somnus/x/mv.json", null, Map.of()).version(), "numbers are never reused");
      assertThrows(IllegalArgumentException.class, () -> t.setModelAlias(name, "latest", "1"), "reserved by MLflow");
      assertThrows(IllegalArgumentException.class, () -> t.setModelAlias(name, "v2", "1"), "reserved by MLflow");
      assertThrows(TrackingException.class, () -> t.setModelAlias(name, "live", "99"));
    }
  }

  /** The first report of a new model: one lookup (404, not retried) and one create, not six requests. */
  @Test
  void aMissingExperimentCostsOneLookupAndOneCreate() throws Exception {
    try (FakeMlflowServer server = new FakeMlflowServer(); MlflowTracking t = new MlflowTracking(server.uri())) {
      assertTrue(t.searchRuns("somnus-new", Map.of(Lineage.RUN_ID_TAG, "sleep-1")).isEmpty()); // "already recorded?"
      t.startRun("somnus-new", "sleep-1", Map.of(Lineage.RUN_ID_TAG, "sleep-1"));
      assertEquals(1, server.requests("experiments/get-by-name").size());
      assertEquals(1, server.requests("experiments/create").size());
      t.searchRuns("somnus-new", Map.of());
      assertEquals(1, server.requests("experiments/get-by-name").size(), "then cached");
    }
  }

  @Test
  void whatTheClientSendsFollowsTheRestApi() throws Exception {
    try (FakeMlflowServer server = new FakeMlflowServer(); MlflowTracking t = new MlflowTracking(server.uri())) {
      scenario(t, "somnus-sleeps", "somnus-live");
      assertEquals("GET", server.requests("experiments/get-by-name").get(0).method());
      assertEquals("somnus-sleeps", server.requests("experiments/get-by-name").get(0).query().get("experiment_name"));
      assertEquals(1, server.requests("experiments/create").size(), "experiment created once, then found by name");
      var create = server.requests("runs/create").get(0).body();
      assertEquals("1", create.path("experiment_id").asText());
      assertEquals("sleep-1", create.path("run_name").asText());
      assertEquals(1_700_000_000_000L, create.path("start_time").asLong());
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
      assertEquals(1_700_000_060_000L, update.path("end_time").asLong());
      assertEquals(1, server.requests("registered-models/create").size(), "model created once per process");
      assertEquals(2, server.requests("model-versions/create").size());
      assertEquals("s3://somnus/registry/versions/mv-00000000000000b2.json",
          server.requests("model-versions/create").get(1).body().path("source").asText());
      assertEquals("tags.`workflow_id` = \"wf-1\"", server.requests("runs/search").get(0).body().path("filter").asText());
    }
  }

  @Test
  void unreachableMlflowIsAClearError() {
    try (MlflowTracking t = new MlflowTracking("http://127.0.0.1:1", RetryPolicy.none())) {
      TrackingException e = assertThrows(TrackingException.class, () -> t.startRun("x", "y", Map.of()));
      assertTrue(e.getMessage().contains("127.0.0.1:1") && e.getMessage().contains("experiments/get-by-name"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new MlflowTracking("file:///tmp/mlruns"), "only an http(s) server");
  }

  private static void scenario(Tracking t, String exp, String model) {
    Instant start = Instant.ofEpochMilli(1_700_000_000_000L);
    String run1 = t.startRun(exp, "sleep-1", Map.of("workflow_id", "wf-1"), start);
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
    t.endRun(run1, RunStatus.FINISHED, start.plusSeconds(60));

    TrackedRun r = t.getRun(run1);
    assertEquals(run1, r.runId());
    assertEquals(exp, r.experiment());
    assertEquals("sleep-1", r.runName());
    assertEquals(RunStatus.FINISHED, r.status());
    assertEquals(start, r.startTime());
    assertEquals(start.plusSeconds(60), r.endTime());
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

    String run2 = t.startRun(exp, "sleep-2", Map.of("workflow_id", "wf-2"), start.plusSeconds(120));
    assertEquals(List.of(run1), t.searchRuns(exp, Map.of("workflow_id", "wf-1")).stream().map(TrackedRun::runId).toList());
    assertEquals(List.of(run2, run1), t.searchRuns(exp, Map.of()).stream().map(TrackedRun::runId).toList(), "newest first");
    assertEquals(RunStatus.RUNNING, t.getRun(run2).status());
    assertNotNull(t.getRun(run2).startTime());
    assertTrue(t.searchRuns(exp + "-none", Map.of()).isEmpty());

    ModelRegistration v1 = t.registerModelVersion(model, "s3://somnus/registry/versions/mv-00000000000000b1.json", run1, Map.of("version_id", "mv-00000000000000b1"));
    ModelRegistration v2 = t.registerModelVersion(model, "s3://somnus/registry/versions/mv-00000000000000b2.json", run2, Map.of());
    assertEquals("1", v1.version());
    assertEquals("2", v2.version());
    assertEquals(run1, t.modelVersions(model).get(0).runId());

    assertThrows(TrackingException.class, () -> t.getRun("0".repeat(32)));
    assertThrows(IllegalArgumentException.class, () -> t.setTag(run1, "bad key!", "x"));
  }
}
