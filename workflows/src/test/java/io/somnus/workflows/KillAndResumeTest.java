package io.somnus.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.activities.StepQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import io.temporal.worker.WorkerFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The GPU worker running TrainLora dies after the adapter was stored but before it reported the
 * result. After its heartbeat timeout Temporal retries the step; a new GPU worker (a restarted
 * process, with its own connection) runs the retry, which finds the stored adapter instead of
 * training again, and the sleep finishes. Live does not move before Promote at any point.
 *
 * <p>Temporal's in-memory service runs on a localhost gRPC port here, as in the embedded dev stack,
 * and each worker has its own channel: closing the dying worker's channel cancels its polls the way
 * a killed process would. (The dying worker polls only activity tasks: the in-memory service hands a
 * workflow task to a poll that was open when its worker died and never takes it back, which a real
 * Temporal server does after the task's schedule-to-start timeout.)
 */
class KillAndResumeTest {
  @Test
  void aNewWorkerFinishesTheSleepReusingTheStoredAdapter() throws Exception {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.afterStoreGate = new CountDownLatch(1);  // never opened: the first worker hangs until it is killed
    int port = freePort();
    try (var server = TestServer.createPortBoundServer(port, true)) {
      WorkflowServiceStubs clientStubs = stubs(port);
      WorkflowClient client = WorkflowClient.newInstance(clientStubs);

      // the CPU worker (workflows, bookkeeping steps) stays up throughout
      WorkerFactory cpu = WorkerFactory.newInstance(client);
      WorkerSetup.register(cpu, StepQueues.CPU, steps.implementations(), false);
      cpu.start();

      WorkflowServiceStubs firstStubs = stubs(port);
      WorkerFactory first = WorkerFactory.newInstance(WorkflowClient.newInstance(firstStubs));
      WorkerSetup.register(first, StepQueues.GPU, steps.implementations(), false);
      first.start();

      WorkflowStub sleep = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-k", true, TestTimeouts.policy()));
      assertTrue(steps.adapterStored.await(60, TimeUnit.SECONDS), "training never reached the upload");
      SleepProgress during = client.newWorkflowStub(SleepWorkflow.class, SleepWorkflows.sleepId("m1")).progress();
      assertEquals("TrainLora", during.phase());

      // kill: the worker's threads and its connection go away without reporting anything
      first.shutdownNow();
      firstStubs.shutdownNow();
      first.awaitTermination(10, TimeUnit.SECONDS);
      assertEquals("mv-base", steps.live, "live moved before Promote");

      steps.afterStoreGate = null;
      WorkflowServiceStubs secondStubs = stubs(port);
      WorkerFactory second = WorkerFactory.newInstance(WorkflowClient.newInstance(secondStubs));
      WorkerSetup.register(second, StepQueues.GPU, steps.implementations(), false);
      second.start();
      try {
        SleepResult r;
        try {
          r = sleep.getResult(60, TimeUnit.SECONDS, SleepResult.class);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("sleep did not finish after the restart; steps run: " + steps.calls, e);
        }
        assertEquals(SleepOutcome.PROMOTED, r.outcome());
        assertEquals(steps.live, r.versions().liveAfter());
      } finally {
        second.shutdownNow();
        cpu.shutdownNow();
        secondStubs.shutdownNow();
        clientStubs.shutdownNow();
      }
    }
    assertTrue(steps.trainAttempts.get() >= 2, "TrainLora was not retried");
    assertEquals(1, steps.trainedFromScratch.get(), "the stored adapter was not reused");
    assertTrue(steps.liveDuringTraining.stream().allMatch("mv-base"::equals), "live changed during training");
    // steps before TrainLora ran once; nothing was redone
    assertEquals(1, count(steps.calls, "HealthCheck"));
    assertEquals(1, count(steps.calls, "Audit"));
    assertEquals(1, count(steps.calls, "Promote"));
    assertEquals(List.of("FuseToTemp", "Validate", "Promote", "Report"),
        steps.calls.subList(steps.calls.size() - 4, steps.calls.size()));
  }

  private static WorkflowServiceStubs stubs(int port) {
    return WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static long count(List<String> calls, String step) {
    synchronized (calls) {
      return calls.stream().filter(step::equals).count();
    }
  }
}
