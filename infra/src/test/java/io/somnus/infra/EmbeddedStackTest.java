package io.somnus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.activities.FactState;
import io.somnus.activities.StepTimeouts;
import io.somnus.store.Lineage;
import io.somnus.store.TrackedRun;
import io.somnus.workflows.NapWorkflow;
import io.somnus.workflows.SleepWorkflows;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStackTest {
  @TempDir Path dataDir;

  private SomnusConfig config() {
    return ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dataDir.toString(), "SOMNUS_TEMPORAL_DEV_PORT", "0",
        "SOMNUS_MODEL_ID", "stack-test"));
  }

  private static StepTimeouts quick() {
    return new StepTimeouts(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofMinutes(1), 2,
        Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  @Test
  void aNapRunsThroughTheStackFromASeparateClientThatFoundItViaTheDevStackFile() throws Exception {
    List<FactState> facts = List.of(
        new FactState("f1", "Ada", "lives in", "Paris", "e1", 1, 0.5f, 0.9, null),
        new FactState("f2", "Bo", "works as", "baker", "e1", 0, 1f, 0.2, null));
    SomnusConfig config = config();
    int temporalPort;
    try (EmbeddedStack stack = EmbeddedStack.start(config, StubSteps.factory(facts))) {
      Path file = DevStackInfo.file(dataDir);
      assertTrue(Files.isRegularFile(file));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "holds the S3 keys");
      DevStackInfo info = stack.info();
      assertTrue(info.temporalTarget().startsWith("127.0.0.1:"), info.temporalTarget());
      temporalPort = Integer.parseInt(info.temporalTarget().substring("127.0.0.1:".length()));

      // what another command (another process) does: only the config, the rest from dev-stack.json
      try (SomnusServices client = SomnusServices.connect(config)) {
        assertEquals(info.temporalTarget(), client.endpoints().temporalTarget());
        assertEquals(info.s3Endpoint(), client.endpoints().s3().endpoint());
        NapWorkflow.Result nap = SleepWorkflows.nap(client.workflowClient(),
            new NapWorkflow.Request("stack-test", "nap-stack-1", false, 0.5, quick()));
        assertEquals("nap-stack-1", nap.runId());
        assertEquals("none", nap.liveVersionId(), "nothing promoted yet in the fresh registry");
        assertEquals(2, nap.audited());
        assertEquals(1, nap.healthy());
        assertEquals(List.of("f2"), nap.degradedFactIds());
        assertEquals(0.55, nap.meanRawRecall(), 1e-9);

        List<TrackedRun> runs = client.tracking().searchRuns(client.experiment(), Map.of(Lineage.RUN_ID_TAG, "nap-stack-1"));
        assertEquals(1, runs.size(), "the worker's report step wrote to the stack's local tracking");
        assertEquals(2.0, runs.get(0).latestMetrics().get("facts_audited"));
        assertTrue(Files.isDirectory(dataDir.resolve("tracking").resolve("runs")));
        assertEquals(0, client.registry().aliases().generation(), "registry readable through the embedded S3 server");

        // the run's history is saved, replays on this code, and a tampered one does not
        HistoryArchive archive = HistoryArchive.of(config);
        Path saved = archive.save(client.workflowClient(), SleepWorkflows.napId("stack-test"), null, nap.runId());
        assertEquals(dataDir.resolve("histories").resolve("nap-stack-1.json"), saved);
        try (HistoryReplayer replayer = new HistoryReplayer()) {
          replayer.replay(saved);
          Path tampered = dataDir.resolve("tampered.json");
          Files.writeString(tampered, Files.readString(saved).replace("\"Audit\"", "\"Curate\""));
          assertThrows(HistoryReplayer.NonDeterministicHistoryException.class, () -> replayer.replay(tampered));
        }
      }
    }
    assertFalse(Files.exists(DevStackInfo.file(dataDir)), "removed on shutdown");
    assertFalse(listening(temporalPort), "Temporal port released");
  }

  /**
   * A worker that stops while a step runs: the step is retried on a worker started later, and the workflow tasks that
   * follow reach that worker too. The in-memory service never times out a task held for the stopped worker's sticky
   * queue (a Temporal cluster falls back after 5 s), so workers on the embedded service must not ask for one.
   */
  @Test
  void aNapWhoseWorkerStoppedMidStepFinishesOnTheWorkerStartedAfterIt() throws Exception {
    List<FactState> facts = List.of(new FactState("f1", "Ada", "lives in", "Paris", "e1", 1, 0.5f, 0.9, null));
    java.util.concurrent.CountDownLatch auditStarted = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger audits = new java.util.concurrent.atomic.AtomicInteger();
    StepsFactory firstAuditHangs = services -> {
      var real = StubSteps.factory(facts).create(services);
      io.somnus.activities.AuditActivity audit = in -> {
        if (audits.incrementAndGet() == 1) {
          auditStarted.countDown();
          try {
            Thread.sleep(Long.MAX_VALUE); // the worker dies here; its heartbeat stops
          } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("worker stopped");
          }
        }
        return real.audit().audit(in);
      };
      return new io.somnus.activities.StepImplementations(real.healthCheck(), real.curate(), audit, real.refresh(),
          real.trainLora(), real.fuseToTemp(), real.validate(), real.rebase(), real.promote(), real.rollback(), real.report());
    };
    StepTimeouts timeouts = new StepTimeouts(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofSeconds(2),
        Duration.ofMinutes(1), 3, Duration.ofMillis(100), Duration.ofSeconds(1));
    try (EmbeddedStack stack = EmbeddedStack.start(config(), null)) {
      SomnusWorker first = SomnusWorker.start(stack.services(), "cpu", firstAuditHangs);
      var nap = java.util.concurrent.CompletableFuture.supplyAsync(() -> SleepWorkflows.nap(stack.services().workflowClient(),
          new NapWorkflow.Request("stack-test", "nap-restart-1", false, 0.5, timeouts)));
      assertTrue(auditStarted.await(120, java.util.concurrent.TimeUnit.SECONDS), "the first worker began the audit");
      first.close();
      try (SomnusWorker second = SomnusWorker.start(stack.services(), "cpu", firstAuditHangs)) {
        NapWorkflow.Result result = nap.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, result.audited());
        assertEquals(2, audits.get(), "the audit ran again on the second worker");
      }
    }
  }

  @Test
  void aSecondStackOnTheSameDataFolderIsRefused() {
    SomnusConfig config = config();
    try (EmbeddedStack first = EmbeddedStack.start(config, null)) {
      assertFalse(first.hasWorker());
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedStack.start(config, null));
      assertTrue(e.getMessage().contains("already running"), e.getMessage());
    }
  }

  @Test
  void aStackFileLeftByACrashedProcessIsIgnored() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    new DevStackInfo("127.0.0.1:1", "default", java.net.URI.create("http://127.0.0.1:2"), "a", "b", "somnus",
        dataDir.resolve("tracking"), gone.pid(), java.time.Instant.now()).write(dataDir);
    assertTrue(DevStackInfo.read(dataDir).isEmpty(), "its process is gone");
    ConfigException e = assertThrows(ConfigException.class, () -> SomnusServices.connect(config()));
    assertTrue(e.getMessage().contains("somnus dev up"), e.getMessage());
    try (EmbeddedStack stack = EmbeddedStack.start(config(), null)) {
      assertEquals(ProcessHandle.current().pid(), DevStackInfo.read(dataDir).orElseThrow().pid(), "replaced by the live stack");
    }
  }

  @Test
  void commandsWithoutAStackOrTargetsSayHowToStartOne() {
    ConfigException e = assertThrows(ConfigException.class, () -> SomnusServices.connect(config()));
    assertTrue(e.getMessage().contains("somnus dev up"), e.getMessage());
  }

  @Test
  void anUnreachableTemporalTargetIsAClearErrorNotAHang() throws IOException {
    int unused;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      unused = s.getLocalPort();
    }
    SomnusConfig config = ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dataDir.toString(),
        "SOMNUS_TEMPORAL_TARGET", "127.0.0.1:" + unused, "SOMNUS_S3_ENDPOINT", "http://127.0.0.1:1",
        "SOMNUS_S3_ACCESS_KEY", "a", "SOMNUS_S3_SECRET_KEY", "b"));
    try (SomnusServices services = new SomnusServices(config, ServiceEndpoints.resolve(config, null), Duration.ofSeconds(2))) {
      long t0 = System.nanoTime();
      ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class, services::workflowClient);
      assertTrue(e.getMessage().contains("127.0.0.1:" + unused), e.getMessage());
      assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "gave up within the connect timeout");
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
