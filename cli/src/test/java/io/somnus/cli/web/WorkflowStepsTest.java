package io.somnus.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's page shows the steps of its saved history: read here from the sleep histories recorded for the replay tests. */
class WorkflowStepsTest {
  /** Recorded from real sleeps and checked in for the workflows' replay tests. */
  private static final Path RECORDED = Path.of("..", "workflows", "src", "test", "resources", "histories");

  @TempDir Path histories;

  @Test
  void aSleepRetriedAfterARefusalShowsEachAttemptsStepsInOrder() throws Exception {
    Files.copy(RECORDED.resolve("sleep-retried.json"), histories.resolve("sleep-7.json"));
    WorkflowSteps.Timeline t = WorkflowSteps.read(histories, "sleep-7").orElseThrow();
    assertEquals("Sleep", t.workflowType());
    assertEquals("completed", t.result());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "TrainLora", "FuseToTemp", "Validate",
        "Promote", "Report"), t.steps().stream().map(WorkflowSteps.Step::activity).toList());
    for (WorkflowSteps.Step s : t.steps()) {
      assertEquals("completed", s.outcome(), s.toString());
      assertTrue(!s.ended().isBefore(s.scheduled()), s.toString());
    }
    assertTrue(t.events() > t.steps().size());
  }

  @Test
  void aRunWithoutASavedHistoryHasNoneAndANameCannotLeaveTheFolder() {
    assertTrue(WorkflowSteps.read(histories, "sleep-unsaved").isEmpty());
    assertTrue(WorkflowSteps.read(histories, "../../etc/passwd").isEmpty());
  }
}
