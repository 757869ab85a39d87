package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lineage over records written the way a wake and two sleeps write them, with tracking in files and on MLflow. */
class LineageTest {
  static TestMlflow mlflow;
  @TempDir Path root;
  StoreFixture fx;
  ModelRegistry registry;
  FactLedger ledger;
  Tracking tracking;
  Lineage lineage;
  String experiment;
  Fact f1 = new Fact("Mara Okafor", "lives in", "Lisbon");
  Fact f2 = new Fact("Ivo Brandt", "plays", "the cello");

  @BeforeAll
  static void server() {
    mlflow = TestMlflow.open("LineageTest");
  }

  @AfterAll
  static void stopServer() {
    mlflow.close();
  }

  @BeforeEach
  void start() {
    fx = new StoreFixture(root, "lineage");
    registry = new ModelRegistry(fx.store);
    ledger = new FactLedger(fx.store);
  }

  @AfterEach
  void stop() {
    fx.close();
    if (tracking != null) tracking.close();
  }

  FactRow row(Fact f, FactStage stage, String edit, double recall, String run, String version, long t) {
    return new FactRow(f.id(), f.subject(), f.relation(), f.object(), "chat-1/turn-3", edit, stage.level(), stage.memitScale(),
        recall, recall, run, version, Instant.ofEpochSecond(t));
  }

  String trackedRun(String runId, String versionId) {
    String id = tracking.startRun(experiment, runId, Map.of(Lineage.RUN_ID_TAG, runId, Lineage.MODEL_VERSION_TAG, versionId));
    tracking.logParams(id, Map.of("lora_rank", "8"));
    tracking.endRun(id, RunStatus.FINISHED);
    return id;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void answersFactHistoryCompositionProducerAndDiff(String backend) throws Exception {
    tracking = mlflow.tracking(backend, root);
    experiment = mlflow.unique("lineage-" + backend);
    lineage = new Lineage(registry, ledger, tracking, experiment);
    ModelVersion base = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("base"), 1, 2), "import-0"));
    registry.promote(base.id(), "import-0");

    // Wake: MEMIT writes f1 and f2 in one edit.
    MemitEdit edit = new MemitEdit("e1", List.of(f1, f2), List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 2, 3, 1,
        new float[] {1, 2}, new float[] {1, 0, -1})));
    String editKey = EditArtifacts.write(fx.store, edit);
    ModelVersion v1 = registry.create(new NewVersion(base.id(), StoreFixture.checkpoint(root.resolve("base"), 1, 2), List.of(),
        List.of(new EditRef("e1", editKey, 1.0f)), "wake-1", Map.of()));
    ledger.write("wake-1", v1.id(), List.of(row(f1, FactStage.WAKE, "e1", 1.0, "wake-1", v1.id(), 100),
        row(f2, FactStage.WAKE, "e1", 1.0, "wake-1", v1.id(), 100)));
    trackedRun("wake-1", v1.id());

    // Sleep: LoRA fused; f1 recalled without MEMIT and advances, f2 does not; the edit's scale follows
    // the lowest stage among its facts, so it stays at 1.0 while f2 is at stage 0.
    String adapter = fx.store.put(StoreFixture.random(5000, 9));
    ModelVersion v2 = registry.create(new NewVersion(v1.id(), StoreFixture.checkpoint(root.resolve("fused"), 1, 3), List.of(adapter),
        List.of(new EditRef("e1", editKey, 1.0f)), "sleep-1", Map.of("raw_recall", 1.0)));
    ledger.write("sleep-1", v2.id(), List.of(row(f1, FactStage.CONSOLIDATING, "e1", 1.0, "sleep-1", v2.id(), 200),
        row(f2, FactStage.WAKE, "e1", 0.0, "sleep-1", v2.id(), 200)));
    String sleepRun = trackedRun("sleep-1", v2.id());
    registry.promote(v2.id(), "sleep-1");

    // History of f1: recorded by the wake, advanced by the sleep.
    List<Lineage.FactEvent> h1 = lineage.factHistory(f1.id());
    assertEquals(List.of("wake-1", "sleep-1"), h1.stream().map(Lineage.FactEvent::runId).toList());
    assertNull(h1.get(0).before());
    assertEquals(List.of("stage 0→1", "scale 1.0→0.5"), h1.get(1).changes());
    assertEquals(v2.id(), h1.get(1).modelVersion());
    // f2's recall changed but its stage and scale did not: the sleep is not an event for it.
    assertEquals(List.of("wake-1"), lineage.factHistory(f2.id()).stream().map(Lineage.FactEvent::runId).toList());

    // What v2 is made of and who made it.
    Lineage.Composition c = lineage.composition(v2.id());
    assertEquals(List.of(base.id(), v1.id(), v2.id()), c.ancestry());
    assertEquals(List.of(adapter), c.version().loraHistory());
    assertEquals(List.of(new EditRef("e1", editKey, 1.0f)), c.version().memitEdits());
    assertEquals(sleepRun, c.producedBy().orElseThrow().runId());
    assertEquals("8", c.producedBy().orElseThrow().params().get("lora_rank"));
    assertEquals("sleep-1", c.factTable().orElseThrow().runId());
    assertEquals(edit, EditArtifacts.read(fx.store, c.version().memitEdits().get(0).key()));

    // Diff of the two versions' fact tables.
    List<FactChange> d = lineage.diff(v1.id(), v2.id());
    assertEquals(2, d.size());
    assertTrue(d.stream().allMatch(x -> x.kind() == FactChange.Kind.CHANGED));
    assertThrows(VersionNotFoundException.class, () -> lineage.diff(base.id(), v2.id()), "base has no fact table");

    // Without tracking, lineage still answers from registry and ledger.
    Lineage offline = new Lineage(registry, ledger, null, experiment);
    assertTrue(offline.composition(v2.id()).producedBy().isEmpty());
    assertEquals(3, offline.composition(v2.id()).ancestry().size());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void runsCarryTheirKindOutcomeAndReasonsAndVersionsTheKindOfRunThatMadeThem(String backend) throws Exception {
    tracking = mlflow.tracking(backend, root);
    experiment = mlflow.unique("runs-" + backend);
    lineage = new Lineage(registry, ledger, tracking, experiment);
    ModelVersion base = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("base"), 1, 2), "import-0"));
    registry.promote(base.id(), "import-0");
    ModelVersion woke = registry.create(new NewVersion(base.id(), StoreFixture.checkpoint(root.resolve("base"), 1, 2), List.of(),
        List.of(), "wake-m-20261101-220000-000", Map.of()));
    registry.promote(woke.id(), "wake-m-20261101-220000-000");
    ModelVersion slept = registry.create(new NewVersion(woke.id(), StoreFixture.checkpoint(root.resolve("fused"), 1, 3),
        List.of(fx.store.put(StoreFixture.random(100, 3))), List.of(), "nightly-7", Map.of()));
    registry.promote(slept.id(), "nightly-7");

    String promoted = tracking.startRun(experiment, "nightly-7", Map.of(Lineage.RUN_ID_TAG, "nightly-7",
        Lineage.MODEL_VERSION_TAG, slept.id(), RunTracker.KIND_TAG, "sleep", RunTracker.OUTCOME_TAG, "promoted"));
    tracking.endRun(promoted, RunStatus.FINISHED);
    Thread.sleep(20); // runs are ordered by start time
    String refused = tracking.startRun(experiment, "sleep-m-20261103-220000-000", Map.of(Lineage.RUN_ID_TAG, "sleep-m-20261103-220000-000",
        RunTracker.OUTCOME_TAG, "kept-live"));
    tracking.logParams(refused, Map.of("attempt_1_refused", "lost 2 recalled answers", "lora_rank", "8"));
    tracking.endRun(refused, RunStatus.FINISHED);

    List<Lineage.RunRecord> runs = lineage.runs();
    assertEquals(List.of("sleep-m-20261103-220000-000", "nightly-7"), runs.stream().map(Lineage.RunRecord::runId).toList(), "newest first");
    Lineage.RunRecord keptLive = runs.get(0);
    assertEquals("sleep", keptLive.kind(), "no kind tag: the run id's first word");
    assertEquals("kept-live", keptLive.outcome());
    assertEquals(Map.of("attempt_1_refused", "lost 2 recalled answers"), keptLive.reasons());
    assertNull(keptLive.modelVersion());
    assertEquals(slept.id(), runs.get(1).modelVersion());

    List<Lineage.VersionNode> graph = lineage.versionGraph();
    assertEquals(List.of(base.id(), woke.id(), slept.id()), graph.stream().map(n -> n.version().id()).toList());
    assertEquals(List.of("base", "wake", "sleep"), graph.stream().map(Lineage.VersionNode::kind).toList(),
        "a version's kind is its creating run's: the tracked kind for nightly-7, the run id's first word for the wake");
    assertEquals(List.of(false, true, false), graph.stream().map(Lineage.VersionNode::previous).toList());
    assertEquals(List.of(false, false, true), graph.stream().map(Lineage.VersionNode::live).toList());
  }
}
