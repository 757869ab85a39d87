package io.somnus.workflows;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.somnus.activities.StepQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Recorded histories of sleeps are replayed against the current workflow code: a change that makes
 * the code take different steps for the same history (non-determinism) fails here, before it can
 * break sleeps in flight on a real cluster.
 *
 * <p>To re-record after an intended change: {@code mvn -pl workflows test -Dtest=ReplayTest
 * -Dsomnus.recordHistories=true} (writes src/test/resources/histories/), or {@code =sleep-retried.json,...} to record
 * only the named ones: a history recorded by older code is worth keeping, it is what a cluster still holds.
 */
class ReplayTest {
  /** The first three were recorded before sleeps retried a refused candidate: their requests hold no retries. */
  static final List<String> HISTORIES = List.of("sleep-promoted.json", "sleep-kept-live.json", "sleep-refresh.json",
      "sleep-retried.json", "sleep-rebased.json", "sleep-failed.json");

  @Test
  void recordedSleepHistoriesReplayOnTheCurrentCode() throws Exception {
    String toRecord = System.getProperty("somnus.recordHistories", "");
    if (!toRecord.isEmpty()) record(toRecord.equals("true") ? HISTORIES : List.of(toRecord.split(",")));
    for (String name : HISTORIES) {
      WorkflowReplayer.replayWorkflowExecution(load(name), SleepWorkflowImpl.class);
    }
  }

  @Test
  void aWorkflowThatSkipsTheAuditNoLongerReplays() throws Exception {
    // the replayer must notice when code and history disagree; this variant drops a step
    assertThrows(RuntimeException.class,
        () -> WorkflowReplayer.replayWorkflowExecution(load("sleep-promoted.json"), NoAuditSleep.class));
  }

  static String load(String name) throws IOException {
    try (InputStream in = ReplayTest.class.getResourceAsStream("/histories/" + name)) {
      if (in == null) throw new IllegalStateException("missing recorded history " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A sleep without its Audit step: same workflow type, different commands. */
  public static class NoAuditSleep implements SleepWorkflow {
    @Override
    public SleepResult sleep(SleepRequest request) {
      var heavy = io.somnus.activities.StepOptions.heavy(false, request.policy().timeouts());
      var light = io.somnus.activities.StepOptions.light(request.policy().timeouts());
      var health = io.temporal.workflow.Workflow.newActivityStub(io.somnus.activities.HealthCheckActivity.class, heavy);
      var curate = io.temporal.workflow.Workflow.newActivityStub(io.somnus.activities.CurateActivity.class, light);
      var train = io.temporal.workflow.Workflow.newActivityStub(io.somnus.activities.TrainLoraActivity.class, heavy);
      String live = health.healthCheck(new io.somnus.activities.HealthCheckActivity.Input(request.runId(), request.modelId())).liveVersionId();
      var c = curate.curate(new io.somnus.activities.CurateActivity.Input(request.runId(), live, 10));
      train.trainLora(new io.somnus.activities.TrainLoraActivity.Input(request.runId(), live, c.factIds(), request.policy().lora(), 0));
      throw new IllegalStateException("unreachable in replay");
    }

    @Override
    public SleepProgress progress() {
      return null;
    }
  }

  /** Runs the scenarios on fake steps and saves their histories as JSON. */
  private static void record(List<String> names) throws IOException {
    Path dir = Path.of("src/test/resources/histories");
    Files.createDirectories(dir);
    for (String name : names) {
      FakeSteps steps = switch (name) {
        case "sleep-promoted.json" -> new FakeSteps(3, 1);
        case "sleep-kept-live.json" -> {
          FakeSteps rejected = new FakeSteps(2, 0);
          rejected.approve = false;
          yield rejected;
        }
        case "sleep-refresh.json" -> {
          FakeSteps degraded = new FakeSteps(2, 1);
          degraded.degraded = List.of("c0");
          degraded.trainFailuresBeforeSuccess = 1;
          yield degraded;
        }
        case "sleep-retried.json" -> {
          FakeSteps retried = new FakeSteps(3, 1);
          retried.refusalsBeforeApproval = 1;
          yield retried;
        }
        case "sleep-rebased.json" -> {
          FakeSteps rebased = new FakeSteps(3, 1);
          rebased.duringTraining = () -> rebased.teach("taught-while-asleep");
          yield rebased;
        }
        case "sleep-failed.json" -> {
          FakeSteps failed = new FakeSteps(3, 1);
          failed.trainBadInput = true;
          yield failed;
        }
        default -> throw new IllegalArgumentException("no scenario for history " + name);
      };
      record(dir.resolve(name), steps);
    }
  }

  private static void record(Path file, FakeSteps steps) throws IOException {
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance()) {
      WorkflowClient client = env.getWorkflowClient();
      WorkerSetup.register(env.getWorkerFactory(), StepQueues.CPU, steps.implementations(), true);
      env.start();
      var stub = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-recorded", false, TestTimeouts.policy()));
      try {
        stub.getResult(SleepResult.class);
      } catch (io.temporal.client.WorkflowFailedException failed) {
        // a failed sleep's history is as worth replaying as a finished one's
      }
      WorkflowExecutionHistory h = client.fetchHistory(stub.getExecution().getWorkflowId(), stub.getExecution().getRunId());
      Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
      Files.writeString(tmp, h.toJson(true));
      tmp.toFile().setReadable(true, false);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
