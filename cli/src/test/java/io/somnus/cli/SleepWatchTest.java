package io.somnus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.infra.LocalTemporalServer;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code sleep --wait} against a real Temporal service (the embedded one, over gRPC) that goes away while the watch is
 * waiting: while the service is up and no worker serves the sleep the watch says so once and waits; when the service
 * goes, the watch ends with a message that says what happened and what to do, instead of waiting forever.
 */
class SleepWatchTest {
  @Test
  void aWatchWhoseServiceStopsSaysItLostContactAndEnds() throws Exception {
    LocalTemporalServer server = LocalTemporalServer.start(0);
    boolean serverClosed = false;
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(server.target()).build());
    try {
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      // No worker polls this queue: the workflow stays scheduled and its progress query has no one to answer it.
      WorkflowStub sleep = client.newUntypedWorkflowStub("Sleep",
          WorkflowOptions.newBuilder().setTaskQueue("no-worker-here").setWorkflowId("sleep-watch-test").build());
      sleep.start();
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      SleepWatch watch = new SleepWatch(sleep, new PrintStream(printed, true, StandardCharsets.UTF_8), Duration.ofMillis(200),
          Duration.ofSeconds(2));
      CompletableFuture<Throwable> ended = CompletableFuture.supplyAsync(() -> assertThrows(CliException.class, watch::await));

      Thread.sleep(3_000); // past lostAfter with the service up: the watch checks, finds it, and goes on waiting
      assertTrue(!ended.isDone(), "a service that answers keeps the watch waiting for the sleep's worker");
      String said = printed.toString(StandardCharsets.UTF_8);
      assertTrue(said.contains("no worker has answered for 2 s; the sleep waits for one (start it with `somnus worker"), said);
      assertEquals(1, said.lines().filter(l -> l.contains("no worker has answered")).count(), "said once: " + said);
      server.close();
      serverClosed = true;
      Throwable e = ended.get(60, TimeUnit.SECONDS);
      assertTrue(e.getMessage().startsWith("lost contact with the Temporal service for 2 s"), e.getMessage());
      assertTrue(e.getMessage().contains("somnus dev up"), e.getMessage());
    } finally {
      stubs.shutdownNow();
      if (!serverClosed) server.close();
    }
  }
}
