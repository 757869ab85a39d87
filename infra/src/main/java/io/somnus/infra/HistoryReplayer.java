package io.somnus.infra;

import io.somnus.workflows.WorkerSetup;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replays recorded workflow histories against the workflow code on this classpath, the way
 * Temporal's {@code WorkflowReplayer} does, without the JUnit-based testing artifact: a throwaway
 * in-process Temporal service hosts a worker with every Somnus workflow registered, and the worker
 * re-executes each history. Code that would now take a different path (non-determinism) fails.
 */
public final class HistoryReplayer implements AutoCloseable {
  private static final String QUEUE = "somnus-replay";

  private final TestServer.InProcessTestServer server;
  private final WorkflowServiceStubs stubs;
  private final WorkerFactory factory;
  private final Worker worker;

  public HistoryReplayer() {
    server = TestServer.createServer(true);
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(server.getChannel()).build());
    factory = WorkerFactory.newInstance(WorkflowClient.newInstance(stubs));
    worker = factory.newWorker(QUEUE);
    WorkerSetup.registerWorkflows(worker);
  }

  /**
   * @throws NonDeterministicHistoryException when the current code diverges from the history
   */
  public void replay(WorkflowExecutionHistory history) {
    try {
      worker.replayWorkflowExecution(history);
    } catch (Exception e) {
      throw new NonDeterministicHistoryException("history of workflow " + history.getWorkflowExecution().getWorkflowId()
          + " does not replay on this code: " + rootMessage(e), e);
    }
  }

  /** Reads a history written by {@link HistoryArchive} (or {@code WorkflowExecutionHistory.toJson}) and replays it. */
  public WorkflowExecutionHistory replay(Path jsonFile) {
    String json;
    try {
      json = Files.readString(jsonFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read history " + jsonFile, e);
    }
    WorkflowExecutionHistory history;
    try {
      history = WorkflowExecutionHistory.fromJson(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(jsonFile + " is not a Temporal workflow history (JSON): " + rootMessage(e), e);
    }
    replay(history);
    return history;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
  }

  @Override
  public void close() {
    factory.shutdownNow();
    stubs.shutdownNow();
    server.close();
  }

  /** The workflow code no longer produces the commands its recorded history shows. */
  public static final class NonDeterministicHistoryException extends RuntimeException {
    NonDeterministicHistoryException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
