package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One teach → sleep (promoted) → rollback, recorded the way the workflows are to record it ({@link RunTracker},
 * {@link RegistryMirror}), then read back over MLflow's REST API as an MLflow user's tools would, and checked against
 * Somnus's own answers (registry aliases, {@link Lineage}). The raw REST answers go to
 * {@code target/mlflow-sequence/} (the evidence for the real server when CI runs this against it).
 */
class WakeSleepRollbackOnMlflowTest {
  static final Instant T0 = Instant.parse("2026-03-01T09:00:00Z");
  @TempDir Path root;
  TestMlflow mlflow;
  StoreFixture fx;

  @BeforeEach
  void start() {
    mlflow = TestMlflow.open("WakeSleepRollbackOnMlflowTest");
    fx = new StoreFixture(root, "somnus");
  }

  @AfterEach
  void stop() {
    fx.close();
    mlflow.close();
  }

  @Test
  void teachSleepRollbackReadBackOverRest() throws Exception {
    String experiment = mlflow.unique("somnus-tiny");
    String modelName = mlflow.unique("somnus-tiny-model");
    ModelRegistry registry = new ModelRegistry(fx.store);
    FactLedger ledger = new FactLedger(fx.store);
    Path ckpt = StoreFixture.checkpoint(root.resolve("ckpt"), 1, 2);
    Fact mara = new Fact("Mara Okafor", "lives in", "Lisbon");
    Fact ivo = new Fact("Ivo Brandt", "plays", "the cello");

    try (MlflowTracking tracking = new MlflowTracking(mlflow.uri())) {
      RunTracker runs = new RunTracker(tracking, experiment);
      RegistryMirror mirror = new RegistryMirror(registry, tracking, modelName, experiment);

      // Base import.
      ModelVersion base = registry.create(NewVersion.base(ckpt, "import-0"));
      registry.promote(base.id(), "import-0");
      mirror.sync();

      // Teach: one MEMIT edit with two facts, a new version made live, a wake run, the mirror told.
      MemitEdit edit = new MemitEdit("edit-1", List.of(mara, ivo), List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 2, 3, 1,
          new float[] {1, 2}, new float[] {1, 0, -1})));
      String editKey = EditArtifacts.write(fx.store, edit);
      ModelVersion v1 = registry.create(new NewVersion(base.id(), ckpt, List.of(), List.of(new EditRef("edit-1", editKey, 1f)), "teach-1", Map.of()));
      LedgerSnapshot wakeTable = ledger.write("teach-1", v1.id(), List.of(row(mara, FactStage.WAKE, 1.0, "teach-1", v1.id()),
          row(ivo, FactStage.WAKE, 1.0, "teach-1", v1.id())));
      registry.promote(v1.id(), "teach-1");
      runs.recordWake(new WakeRecord("teach-1", "somnus-tiny", "teach", T0, T0.plusMillis(4200), RunOutcome.TAUGHT, base.id(), v1.id(),
          "edit-1", List.of(new WakeRecord.WrittenFact(mara.id(), mara.sentence(), false, true),
              new WakeRecord.WrittenFact(ivo.id(), ivo.sentence(), false, true)), Map.of(),
          List.of(new StepTiming("memit", 0, T0, T0.plusMillis(3100)), new StepTiming("recall_probe", 0, T0.plusMillis(3100), T0.plusMillis(4000))),
          Map.of(RunTracker.memitEditArtifact("edit-1"), fx.store.uri(editKey), RunTracker.STAGE_TABLE_ARTIFACT, fx.store.uri(wakeTable.key()),
              RunTracker.MODEL_VERSION_ARTIFACT, registry.manifestUri(v1.id()))));
      mirror.sync();

      // Sleep: begun at HealthCheck, a LoRA loss curve from TrainLora, trained and gated versions, promoted, reported.
      Instant s0 = T0.plusSeconds(3600);
      RunTracker.RunStart sleep = new RunTracker.RunStart("sleep-1", "sleep", "somnus-tiny", s0,
          Map.of("lora_rank", "8", "lora_lr", "2.0E-4", "max_facts", "20"), Map.of());
      runs.begin(sleep);
      List<StepTiming> steps = new ArrayList<>();
      steps.add(new StepTiming("HealthCheck", 0, s0, s0.plusMillis(800)));
      runs.logSteps("sleep-1", steps);
      double[] loss = new double[40];
      for (int i = 0; i < loss.length; i++) loss[i] = 0.05 + 3.2 * Math.exp(-i / 8.0);
      Instant trainFrom = s0.plusSeconds(5);
      Instant trainTo = s0.plusSeconds(65);
      String adapterKey = fx.store.put(StoreFixture.random(4096, 7));
      runs.logCurve("sleep-1", RunTracker.loraLossKey(0), loss, trainFrom, trainTo);
      runs.linkArtifacts("sleep-1", Map.of(RunTracker.adapterArtifact(0), fx.store.uri(adapterKey)));
      steps.add(new StepTiming("TrainLora", 0, trainFrom, trainTo));
      ModelVersion trained = registry.create(new NewVersion(v1.id(), StoreFixture.checkpoint(root.resolve("fused"), 3, 4), List.of(adapterKey),
          List.of(new EditRef("edit-1", editKey, 1f)), "sleep-1", Map.of()));
      ModelVersion gated = registry.create(new NewVersion(v1.id(), StoreFixture.checkpoint(root.resolve("fused"), 3, 4), List.of(adapterKey),
          List.of(new EditRef("edit-1", editKey, 0.5f)), "sleep-1", Map.of("recall_after", 1.0)));
      steps.add(new StepTiming("FuseToTemp", 0, s0.plusSeconds(65), s0.plusSeconds(80)));
      steps.add(new StepTiming("Validate", 0, s0.plusSeconds(80), s0.plusSeconds(110)));
      registry.promote(gated.id(), "sleep-1");
      steps.add(new StepTiming("Promote", 0, s0.plusSeconds(110), s0.plusSeconds(111)));
      LedgerSnapshot sleepTable = ledger.write("sleep-1", gated.id(), List.of(row(mara, FactStage.CONSOLIDATING, 1.0, "sleep-1", gated.id()),
          row(ivo, FactStage.CONSOLIDATING, 1.0, "sleep-1", gated.id())));
      steps.add(new StepTiming("Report", 0, s0.plusSeconds(111), s0.plusSeconds(112)));
      TrackedRun sleepRun = runs.end(sleep, new RunTracker.RunEnd(RunOutcome.PROMOTED, s0.plusSeconds(112),
          new RunTracker.Versions(v1.id(), trained.id(), gated.id(), gated.id(), gated.id()), Map.of(),
          Map.of("recall_before", 1.0, "recall_after", 1.0, "facts_advanced", 2.0, "lora_loss_final", loss[loss.length - 1]), steps,
          Map.of(RunTracker.STAGE_TABLE_ARTIFACT, fx.store.uri(sleepTable.key()), RunTracker.MODEL_VERSION_ARTIFACT, registry.manifestUri(gated.id()))));
      mirror.sync();

      // Rollback: live goes back to the teach's version.
      Instant r0 = T0.plusSeconds(7200);
      Aliases before = registry.aliases();
      registry.rollback("rollback-1", before.generation());
      runs.end(new RunTracker.RunStart("rollback-1", "rollback", "somnus-tiny", r0, Map.of(), Map.of()),
          new RunTracker.RunEnd(RunOutcome.ROLLED_BACK, r0.plusMillis(300), new RunTracker.Versions(gated.id(), null, null, v1.id(), v1.id()),
              Map.of(), Map.of(), List.of(), Map.of()));
      mirror.sync();

      // What Somnus says.
      Aliases aliases = registry.aliases();
      assertEquals(v1.id(), aliases.live());
      assertEquals(gated.id(), aliases.previous());
      Lineage lineage = new Lineage(registry, ledger, tracking, experiment);
      Lineage.Composition comp = lineage.composition(gated.id());
      assertEquals(sleepRun.runId(), comp.producedBy().orElseThrow().runId());
      assertEquals(List.of(base.id(), v1.id(), gated.id()), comp.ancestry());

      // What MLflow's REST API says.
      Path out = Path.of("target", "mlflow-sequence");
      Files.createDirectories(out);
      Map<String, String> answers = new LinkedHashMap<>();
      String expId = Json.MAPPER.readTree(mlflow.rest("experiments/get-by-name?experiment_name=" + enc(experiment))).path("experiment").path("experiment_id").asText();
      answers.put("runs-search", mlflow.restPost("runs/search", "{\"experiment_ids\": [\"" + expId + "\"], \"order_by\": [\"attributes.start_time ASC\"]}"));
      answers.put("metrics-get-history", mlflow.rest("metrics/get-history?run_id=" + sleepRun.runId() + "&metric_key=lora_loss"));
      answers.put("registered-models-get", mlflow.rest("registered-models/get?name=" + enc(modelName)));
      answers.put("model-versions-search", mlflow.rest("model-versions/search?filter=" + enc("name='" + modelName + "'")));
      answers.put("registered-models-alias-live", mlflow.rest("registered-models/alias?name=" + enc(modelName) + "&alias=live"));
      answers.put("registered-models-alias-previous", mlflow.rest("registered-models/alias?name=" + enc(modelName) + "&alias=previous"));
      for (Map.Entry<String, String> a : answers.entrySet()) {
        Files.writeString(out.resolve(a.getKey() + ".json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(Json.MAPPER.readTree(a.getValue())));
      }

      JsonNode searched = Json.MAPPER.readTree(answers.get("runs-search")).path("runs");
      List<String> order = new ArrayList<>();
      searched.forEach(r -> order.add(tag(r, Lineage.RUN_ID_TAG) + ":" + r.path("info").path("status").asText() + ":" + tag(r, RunTracker.OUTCOME_TAG)));
      assertEquals(List.of("teach-1:FINISHED:taught", "sleep-1:FINISHED:promoted", "rollback-1:FINISHED:rolled-back"), order);
      JsonNode sleepInfo = searched.get(1).path("info");
      assertEquals(s0.toEpochMilli(), sleepInfo.path("start_time").asLong(), "the sleep starts at HealthCheck");
      assertEquals(s0.plusSeconds(112).toEpochMilli(), sleepInfo.path("end_time").asLong(), "and ends at Report");
      assertEquals(gated.id(), param(searched.get(1), RunTracker.PROMOTED_VERSION));
      assertEquals(trained.id(), param(searched.get(1), RunTracker.TRAINED_VERSION));
      assertEquals(fx.store.uri(adapterKey), tag(searched.get(1), "somnus.artifact.adapter"));

      JsonNode history = Json.MAPPER.readTree(answers.get("metrics-get-history")).path("metrics");
      assertEquals(loss.length, history.size(), "the whole loss curve");
      for (int i = 0; i < loss.length; i++) assertEquals(loss[i], history.get(i).path("value").asDouble(), 1e-12);

      JsonNode model = Json.MAPPER.readTree(answers.get("registered-models-get")).path("registered_model");
      Map<String, String> mlflowAliases = new LinkedHashMap<>();
      model.path("aliases").forEach(a -> mlflowAliases.put(a.path("alias").asText(), a.path("version").asText()));
      Map<String, String> versionOf = new LinkedHashMap<>();
      Map<String, String> sourceOf = new LinkedHashMap<>();
      Json.MAPPER.readTree(answers.get("model-versions-search")).path("model_versions").forEach(v -> {
        versionOf.put(v.path("version").asText(), tag(v, RegistryMirror.VERSION_ID_TAG));
        sourceOf.put(v.path("version").asText(), v.path("source").asText());
      });
      assertEquals(Map.of("1", base.id(), "2", v1.id(), "3", gated.id()), versionOf, "every version that went live, and only those");
      assertEquals(aliases.live(), versionOf.get(mlflowAliases.get("live")), "MLflow's live is Somnus's live");
      assertEquals(aliases.previous(), versionOf.get(mlflowAliases.get("previous")));
      assertEquals(registry.manifestUri(gated.id()), sourceOf.get(mlflowAliases.get("previous")));
      assertEquals(Long.toString(aliases.generation()), tagOf(model, RegistryMirror.GENERATION_TAG));
      assertTrue(answers.get("registered-models-alias-live").contains(v1.id()));

      // The same records as `somnus runs` and `somnus lineage version` read them (through Tracking and Lineage).
      StringBuilder summary = new StringBuilder("MLflow at " + mlflow.uri() + (mlflow.real() ? " (real server)" : " (fake)") + "\n");
      for (TrackedRun r : tracking.searchRuns(experiment, Map.of())) {
        summary.append(String.format("run %-12s %-8s %-11s %s → %s  start %s  end %s  model_version %s%n", r.tags().get(Lineage.RUN_ID_TAG),
            r.status(), r.tags().get(RunTracker.OUTCOME_TAG), r.params().getOrDefault(RunTracker.LIVE_BEFORE, "-"),
            r.params().getOrDefault(RunTracker.LIVE_AFTER, "-"), r.startTime(), r.endTime(), r.tags().get(Lineage.MODEL_VERSION_TAG)));
      }
      summary.append("lineage ").append(gated.id()).append(": ancestry ").append(String.join(" -> ", comp.ancestry()))
          .append(", produced by tracking run ").append(comp.producedBy().orElseThrow().runId()).append(" (Somnus run sleep-1)\n");
      summary.append("registry: live ").append(aliases.live()).append(", previous ").append(aliases.previous())
          .append(", generation ").append(aliases.generation()).append("; MLflow aliases ").append(mlflowAliases).append('\n');
      Files.writeString(out.resolve("summary.txt"), summary);
      System.out.print(summary);
    }
  }

  static FactRow row(Fact f, FactStage stage, double recall, String run, String version) {
    return new FactRow(f.id(), f.subject(), f.relation(), f.object(), "teach", "edit-1", stage.level(), stage.memitScale(), recall, recall,
        run, version, T0);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String tag(JsonNode runOrVersion, String key) {
    JsonNode tags = runOrVersion.has("data") ? runOrVersion.path("data").path("tags") : runOrVersion.path("tags");
    return tagOf(tags, key);
  }

  static String tagOf(JsonNode node, String key) {
    JsonNode tags = node.isArray() ? node : node.path("tags");
    for (JsonNode t : tags) if (t.path("key").asText().equals(key)) return t.path("value").asText();
    return null;
  }

  static String param(JsonNode run, String key) {
    for (JsonNode p : run.path("data").path("params")) if (p.path("key").asText().equals(key)) return p.path("value").asText();
    return null;
  }
}
