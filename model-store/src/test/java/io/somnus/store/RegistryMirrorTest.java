package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tracking registry follows Somnus's, catches up after missing moves, and never disagrees with it for long. */
class RegistryMirrorTest {
  static TestMlflow mlflow;
  static EmbeddedS3Server s3;
  static int buckets;
  @TempDir static Path shared;
  @TempDir Path root;
  S3ObjectStore store;
  ModelRegistry registry;
  Path checkpoint;

  @BeforeAll
  static void servers() {
    mlflow = TestMlflow.open("RegistryMirrorTest");
    s3 = EmbeddedS3Server.start(shared.resolve("s3"));
  }

  @AfterAll
  static void stop() {
    mlflow.close();
    s3.close();
  }

  @BeforeEach
  void start() throws Exception {
    store = S3ObjectStore.open(s3.settings("mirror" + ++buckets)); // a fresh registry per test, one S3 server for all
    registry = new ModelRegistry(store);
    checkpoint = StoreFixture.checkpoint(root.resolve("ckpt"), 1, 2);
  }

  @AfterEach
  void close() {
    store.close();
  }

  ModelVersion version(ModelVersion parent, String runId) {
    return registry.create(parent == null ? NewVersion.base(checkpoint, runId)
        : new NewVersion(parent.id(), checkpoint, List.of(), List.of(), runId, Map.of()));
  }

  static Map<String, String> somnusIds(Tracking t, String model) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    t.modelVersions(model).forEach(r -> out.put(r.version(), r.tags().get(RegistryMirror.VERSION_ID_TAG)));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void mirrorsEveryVersionThatWentLiveAndTheAliases(String backend) {
    String model = mlflow.unique("mirror-" + backend);
    String experiment = mlflow.unique("mirror-runs-" + backend);
    try (Tracking t = mlflow.tracking(backend, root)) {
      RegistryMirror mirror = new RegistryMirror(registry, t, model, experiment);
      assertEquals(0, mirror.sync().generation(), "nothing promoted: nothing to mirror");

      ModelVersion base = version(null, "import-0");
      registry.promote(base.id(), "import-0");
      RegistryMirror.Result r1 = mirror.sync();
      assertEquals(1, r1.registered().size());
      assertEquals(Map.of("live", "1"), r1.aliases());

      // A wake write with a tracking run: its version links to that run.
      String teachRun = new RunTracker(t, experiment).begin(new RunTracker.RunStart("teach-1", "wake", "m", java.time.Instant.now(), Map.of(), Map.of()));
      ModelVersion v1 = version(base, "teach-1");
      registry.promote(v1.id(), "teach-1");
      RegistryMirror.Result r2 = mirror.sync();
      ModelRegistration reg = r2.registered().get(0);
      assertEquals("2", reg.version());
      assertEquals(store.uri("registry/versions/" + v1.id() + ".json"), reg.source());
      assertTrue(reg.source().matches("s3://mirror\\d+/registry/versions/mv-[0-9a-f]{16}\\.json"), reg.source());
      assertEquals(teachRun, reg.runId());
      assertEquals(Map.of(RegistryMirror.VERSION_ID_TAG, v1.id(), Lineage.RUN_ID_TAG, "teach-1", RegistryMirror.PARENT_TAG, base.id()), reg.tags());
      assertEquals(Map.of("live", "2", "previous", "1"), t.registeredModel(model).orElseThrow().aliases());
      assertEquals("2", t.registeredModel(model).orElseThrow().tags().get(RegistryMirror.GENERATION_TAG));

      RegistryMirror.Result again = mirror.sync();
      assertTrue(again.registered().isEmpty(), "idempotent");
      assertEquals(2, t.modelVersions(model).size());

      // Three promotions while the mirror was not told (tracking down): the next sync registers all three, in order.
      ModelVersion v2 = version(v1, "sleep-1");
      registry.promote(v2.id(), "sleep-1");
      ModelVersion v3 = version(v2, "teach-2");
      registry.promote(v3.id(), "teach-2");
      ModelVersion v4 = version(v3, "sleep-2");
      registry.promote(v4.id(), "sleep-2");
      RegistryMirror.Result caughtUp = mirror.sync();
      assertEquals(List.of(v2.id(), v3.id(), v4.id()), caughtUp.registered().stream().map(x -> x.tags().get(RegistryMirror.VERSION_ID_TAG)).toList());
      assertEquals(Map.of("live", "5", "previous", "4"), t.registeredModel(model).orElseThrow().aliases());

      // Rollback: the aliases swap; no version is new.
      registry.rollback("rollback-1", registry.aliases().generation());
      RegistryMirror.Result rolled = mirror.sync();
      assertTrue(rolled.registered().isEmpty());
      assertEquals(Map.of("live", "4", "previous", "5"), t.registeredModel(model).orElseThrow().aliases());
      assertEquals(Map.of("1", base.id(), "2", v1.id(), "3", v2.id(), "4", v3.id(), "5", v4.id()), somnusIds(t, model));
      assertEquals("6", t.registeredModel(model).orElseThrow().tags().get(RegistryMirror.GENERATION_TAG));

      // Two syncs racing registered v4 twice: the next sync keeps the lowest number and moves no alias onto the copy.
      t.registerModelVersion(model, registry.manifestUri(v4.id()), null, Map.of(RegistryMirror.VERSION_ID_TAG, v4.id()));
      RegistryMirror.Result deduped = mirror.sync();
      assertEquals(List.of("6"), deduped.removedDuplicates());
      assertEquals(5, t.modelVersions(model).size());
      assertEquals(Map.of("live", "4", "previous", "5"), t.registeredModel(model).orElseThrow().aliases());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void aNewMirrorOfAnOldRegistryGetsItsWholeHistory(String backend) {
    ModelVersion base = version(null, "import-0");
    registry.promote(base.id(), "import-0");
    ModelVersion v1 = version(base, "teach-1");
    registry.promote(v1.id(), "teach-1");
    ModelVersion v2 = version(v1, "sleep-1");
    registry.promote(v2.id(), "sleep-1");
    registry.rollback("rollback-1", 3);
    // A crash right after a move lost generation 2's record: the next record's previous says who was live.
    store.delete(ModelRegistry.MOVES + "000000000002.json");
    assertEquals(List.of(base.id(), v1.id(), v2.id(), v1.id()), registry.livesSince(0));

    String model = mlflow.unique("history-" + backend);
    try (Tracking t = mlflow.tracking(backend, root)) {
      new RegistryMirror(registry, t, model, mlflow.unique("history-runs-" + backend)).sync();
      assertEquals(Map.of("1", base.id(), "2", v1.id(), "3", v2.id()), somnusIds(t, model));
      assertEquals(Map.of("live", "2", "previous", "3"), t.registeredModel(model).orElseThrow().aliases());
    }
  }

  /** Registries written before move records existed: live and previous are all the mirror can know. */
  @Test
  void withoutMoveRecordsTheMirrorHasLiveAndPrevious() {
    ModelVersion base = version(null, "import-0");
    registry.promote(base.id(), "import-0");
    ModelVersion v1 = version(base, "teach-1");
    registry.promote(v1.id(), "teach-1");
    ModelVersion v2 = version(v1, "teach-2");
    registry.promote(v2.id(), "teach-2");
    for (StoredObject o : store.list(ModelRegistry.MOVES)) store.delete(o.key());
    try (LocalTracking t = new LocalTracking(root.resolve("tracking"))) {
      new RegistryMirror(registry, t, "m", "runs").sync();
      assertEquals(Map.of("1", v1.id(), "2", v2.id()), somnusIds(t, "m"));
      assertEquals(Map.of("live", "2", "previous", "1"), t.registeredModel("m").orElseThrow().aliases());
    }
  }
}
