package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A sleep as one run from HealthCheck to Report, and a wake write as a run, on every backend. */
class RunTrackerTest {
  static TestMlflow mlflow;
  @TempDir Path root;
  static final Instant T0 = Instant.parse("2026-03-01T22:00:00Z");

  @BeforeAll
  static void server() {
    mlflow = TestMlflow.open("RunTrackerTest");
  }

  @AfterAll
  static void stop() {
    mlflow.close();
  }

  static RunTracker.RunStart sleepStart(String runId) {
    return new RunTracker.RunStart(runId, "sleep", "somnus-tiny", T0, Map.of("lora_rank", "8", "lora_lr", "1.0E-4"), Map.of());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void aSleepSpansHealthCheckToReport(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      RunTracker runs = new RunTracker(t, mlflow.unique("sleeps-" + backend));
      RunTracker.RunStart start = sleepStart("sleep-it's-1");
      String id = runs.begin(start);
      assertEquals(id, runs.begin(start), "a retried HealthCheck finds its run");
      assertEquals(id, new RunTracker(t, runs.experiment()).find("sleep-it's-1").orElseThrow(), "and so does another worker");
      TrackedRun running = t.getRun(id);
      assertEquals(RunStatus.RUNNING, running.status());
      assertEquals(T0, running.startTime());
      assertEquals("sleep", running.tags().get(RunTracker.KIND_TAG));

      // TrainLora, twice (the first candidate refused): two loss curves, logged again by a retried activity.
      double[] loss1 = {3.1, 2.4, 1.9, 1.5};
      double[] loss2 = {3.0, 2.8, 2.5};
      runs.logCurve("sleep-it's-1", RunTracker.loraLossKey(0), loss1, T0.plusSeconds(10), T0.plusSeconds(50));
      runs.logCurve("sleep-it's-1", RunTracker.loraLossKey(0), loss1, T0.plusSeconds(10), T0.plusSeconds(50));
      runs.logCurve("sleep-it's-1", RunTracker.loraLossKey(1), loss2, T0.plusSeconds(70), T0.plusSeconds(100));
      runs.logSteps("sleep-it's-1", List.of(new StepTiming("HealthCheck", 0, T0, T0.plusMillis(1500))));
      runs.linkArtifacts("sleep-it's-1", Map.of(RunTracker.adapterArtifact(0), "s3://somnus/sha256/" + "a1".repeat(32)));

      List<StepTiming> steps = List.of(
          new StepTiming("HealthCheck", 0, T0, T0.plusMillis(1500)),
          new StepTiming("TrainLora", 0, T0.plusSeconds(10), T0.plusSeconds(50)),
          new StepTiming("TrainLora", 1, T0.plusSeconds(70), T0.plusSeconds(100)),
          new StepTiming("Report", 0, T0.plusSeconds(119), T0.plusSeconds(120)));
      RunTracker.Versions versions = new RunTracker.Versions("mv-00000000000000a0", "mv-00000000000000b1", "mv-00000000000000b2",
          "mv-00000000000000b2", "mv-00000000000000b2");
      RunTracker.RunEnd end = new RunTracker.RunEnd(RunOutcome.PROMOTED, T0.plusSeconds(120), versions,
          Map.of("attempt_1_refused", "recall dropped 0.07 > 0.05"), Map.of("recall_after", 0.95, "ppl_after", 11.2), steps,
          Map.of(RunTracker.adapterArtifact(1), "s3://somnus/sha256/" + "a2".repeat(32),
              RunTracker.STAGE_TABLE_ARTIFACT, "s3://somnus/sha256/" + "c3".repeat(32)));
      TrackedRun r = runs.end(start, end);
      assertEquals(r, runs.end(start, end), "a retried Report changes nothing");

      assertEquals(RunStatus.FINISHED, r.status());
      assertEquals(T0, r.startTime());
      assertEquals(T0.plusSeconds(120), r.endTime(), "the sleep's real span, not the Report step's");
      assertEquals("promoted", r.tags().get(RunTracker.OUTCOME_TAG));
      assertEquals("mv-00000000000000b2", r.tags().get(Lineage.MODEL_VERSION_TAG));
      assertEquals("mv-00000000000000a0", r.params().get(RunTracker.LIVE_BEFORE));
      assertEquals("mv-00000000000000b1", r.params().get(RunTracker.TRAINED_VERSION));
      assertEquals("mv-00000000000000b2", r.params().get(RunTracker.GATED_VERSION));
      assertEquals("mv-00000000000000b2", r.params().get(RunTracker.PROMOTED_VERSION));
      assertEquals("8", r.params().get("lora_rank"));
      assertEquals(0.95, r.latestMetrics().get("recall_after"));
      assertEquals(Map.of("adapter", "s3://somnus/sha256/" + "a1".repeat(32), "adapter.attempt_2", "s3://somnus/sha256/" + "a2".repeat(32),
          "stage_table", "s3://somnus/sha256/" + "c3".repeat(32)), r.artifactLinks());
      String note = r.tags().get(RunTracker.NOTE_TAG);
      assertTrue(note.contains("**promoted**") && note.contains("| gated_version | `mv-00000000000000b2` |")
          && note.contains("adapter.attempt_2: `s3://somnus/sha256/" + "a2".repeat(32)), note);

      List<MetricPoint> curve = t.metricHistory(id, "lora_loss");
      assertEquals(List.of(3.1, 2.4, 1.9, 1.5), curve.stream().map(MetricPoint::value).toList(), "the whole curve, once");
      assertEquals(List.of(0L, 1L, 2L, 3L), curve.stream().map(MetricPoint::step).toList());
      assertEquals(T0.plusSeconds(50).toEpochMilli(), curve.get(3).timestampMillis());
      assertEquals(3, t.metricHistory(id, "lora_loss.attempt_2").size());
      List<MetricPoint> train = t.metricHistory(id, "step_seconds.TrainLora");
      assertEquals(List.of(40.0, 30.0), train.stream().map(MetricPoint::value).toList(), "one point per attempt");
      assertEquals(List.of(0L, 1L), train.stream().map(MetricPoint::step).toList());
      assertEquals(1, t.metricHistory(id, "step_seconds.HealthCheck").size(), "logged during the sleep and again at Report: once");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void everyOutcomeEndsWithItsStatus(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      RunTracker runs = new RunTracker(t, mlflow.unique("outcomes-" + backend));
      Map<RunOutcome, RunStatus> expected = Map.of(RunOutcome.PROMOTED, RunStatus.FINISHED, RunOutcome.KEPT_LIVE, RunStatus.FINISHED,
          RunOutcome.SKIPPED, RunStatus.FINISHED, RunOutcome.SUPERSEDED, RunStatus.KILLED, RunOutcome.FAILED, RunStatus.FAILED);
      expected.forEach((outcome, status) -> {
        RunTracker.RunStart start = sleepStart("sleep-" + outcome.tagValue());
        // Report without a HealthCheck record (tracking was down then): the run still spans the sleep.
        TrackedRun r = runs.end(start, new RunTracker.RunEnd(outcome, T0.plusSeconds(60),
            new RunTracker.Versions("mv-00000000000000a0", null, outcome == RunOutcome.SKIPPED ? null : "mv-00000000000000b2",
                outcome == RunOutcome.PROMOTED ? "mv-00000000000000b2" : null,
                outcome == RunOutcome.PROMOTED ? "mv-00000000000000b2" : "mv-00000000000000a0"), Map.of(), Map.of(), List.of(), Map.of()));
        assertEquals(status, r.status(), outcome.name());
        assertEquals(outcome.tagValue(), r.tags().get(RunTracker.OUTCOME_TAG));
        assertEquals(T0, r.startTime());
        if (outcome != RunOutcome.PROMOTED) assertNull(r.params().get(RunTracker.PROMOTED_VERSION), "nothing went live");
        assertEquals(r.params().get(RunTracker.LIVE_AFTER), r.tags().get(Lineage.MODEL_VERSION_TAG));
      });
      assertEquals(RunOutcome.KEPT_LIVE, RunOutcome.of("kept-live"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunOutcome.of("refused"));
      assertTrue(e.getMessage().contains("kept-live"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void aWakeWriteIsARunOfItsOwn(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      RunTracker runs = new RunTracker(t, mlflow.unique("wake-" + backend));
      WakeRecord w = new WakeRecord("teach-1", "somnus-tiny", "teach", T0, T0.plusMillis(5400), RunOutcome.TAUGHT,
          "mv-00000000000000a0", "mv-00000000000000a1", "edit-7",
          List.of(new WakeRecord.WrittenFact("0123456789ab", "Mara Okafor lives in Lisbon.", false, true),
              new WakeRecord.WrittenFact("0123456789ac", "Ivo Brandt plays the cello.", false, false),
              new WakeRecord.WrittenFact("0123456789ad", "Ada's cat is called Pim.", true, true)),
          Map.of("The sky is blue.", "already in memory"), List.of(new StepTiming("memit", 0, T0, T0.plusSeconds(4))),
          Map.of(RunTracker.memitEditArtifact("edit-7"), "s3://somnus/sha256/" + "e7".repeat(32)));
      TrackedRun r = runs.recordWake(w);
      assertEquals(r.runId(), runs.recordWake(w).runId(), "recorded once");
      assertEquals(RunStatus.FINISHED, r.status());
      assertEquals(T0, r.startTime());
      assertEquals(T0.plusMillis(5400), r.endTime());
      assertEquals("wake", r.tags().get(RunTracker.KIND_TAG));
      assertEquals("teach-1", r.tags().get(Lineage.RUN_ID_TAG));
      assertEquals("Mara Okafor lives in Lisbon.", r.params().get("fact.0123456789ab"));
      assertEquals("Ada's cat is called Pim.", r.params().get("repaired.0123456789ad"));
      assertEquals("The sky is blue. — already in memory", r.params().get("skipped.1"));
      assertEquals("edit-7", r.params().get("edit_id"));
      assertEquals("mv-00000000000000a1", r.params().get(RunTracker.PROMOTED_VERSION));
      assertEquals("mv-00000000000000a1", r.tags().get(Lineage.MODEL_VERSION_TAG));
      assertEquals(2.0, r.latestMetrics().get("facts_written"));
      assertEquals(1.0, r.latestMetrics().get("facts_repaired"));
      assertEquals(0.5, r.latestMetrics().get("recall_right_after"), "of the facts written, not the repaired");
      assertEquals(0.0, r.latestMetrics().get("fact.0123456789ac.raw_recall"));
      assertEquals("s3://somnus/sha256/" + "e7".repeat(32), r.artifactLinks().get("memit_edit.edit-7"));
      assertEquals(4.0, r.latestMetrics().get("step_seconds.memit"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"local", "mlflow"})
  void anImportIsARunThatMadeTheFirstVersionLive(String backend) {
    try (Tracking t = mlflow.tracking(backend, root)) {
      RunTracker runs = new RunTracker(t, mlflow.unique("import-" + backend));
      TrackedRun r = runs.recordImport("import-1", "somnus-x", "/models/base", "mv-00000000000000b1",
          "s3://somnus/registry/versions/mv-00000000000000b1.json", T0, T0.plusSeconds(3));
      assertEquals(r.runId(), runs.recordImport("import-1", "somnus-x", "/models/base", "mv-00000000000000b1",
          "s3://somnus/registry/versions/mv-00000000000000b1.json", T0, T0.plusSeconds(3)).runId(), "recorded once");
      assertEquals(RunStatus.FINISHED, r.status());
      assertEquals("import", r.tags().get(RunTracker.KIND_TAG));
      assertEquals("imported", r.tags().get(RunTracker.OUTCOME_TAG));
      assertEquals("/models/base", r.params().get("checkpoint"));
      assertEquals("mv-00000000000000b1", r.tags().get(Lineage.MODEL_VERSION_TAG));
      assertEquals("s3://somnus/registry/versions/mv-00000000000000b1.json", r.artifactLinks().get(RunTracker.MODEL_VERSION_ARTIFACT));
    }
  }

  @Test
  void addingToARunThatWasNeverStartedIsAClearError() {
    try (Tracking t = new LocalTracking(root.resolve("tracking"))) {
      RunTracker runs = new RunTracker(t, "somnus-x");
      TrackingException e = assertThrows(TrackingException.class, () -> runs.logCurve("sleep-9", "lora_loss", new double[] {1}, T0, T0));
      assertTrue(e.getMessage().contains("sleep-9") && e.getMessage().contains("begin"), e.getMessage());
      assertFalse(runs.find("sleep-9").isPresent());
    }
  }

  @Test
  void aCurveSpreadsItsTimestampsOverTheTraining() {
    List<MetricPoint> c = RunTracker.curve("lora_loss", new double[] {4, 3, 2, 1}, T0, T0.plusSeconds(40));
    assertEquals(List.of(10_000L, 20_000L, 30_000L, 40_000L), c.stream().map(p -> p.timestampMillis() - T0.toEpochMilli()).toList());
    assertEquals("lora_loss.attempt_3", RunTracker.loraLossKey(2));
  }
}
