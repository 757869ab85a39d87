package io.somnus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.infra.ConfigLoader;
import io.somnus.infra.EmbeddedStack;
import io.somnus.infra.SomnusConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands against a real embedded stack (in this JVM) whose worker hosts scripted steps. */
class SomnusCliTest {
  @TempDir Path dataDir;

  private record Run(int exit, String out, String err) {}

  private Run somnus(String... args) {
    String[] full = new String[args.length + 4];
    full[0] = "--data-dir";
    full[1] = dataDir.toString();
    full[2] = "--model";
    full[3] = "cli-test";
    System.arraycopy(args, 0, full, 4, args.length);
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      var cl = SomnusCli.commandLine();
      cl.setErr(new java.io.PrintWriter(System.err, true));
      int exit = cl.execute(full);
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void aNegativeRetryCountIsRefusedWithTheReason() {
    Run r = somnus("sleep", "--retries", "-1");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("retriesOnRefusal must be") && r.err().contains("got -1"), r.err());
  }

  @Test
  void sleepIsStartedOnceRefusedTwiceThenWatchedToItsEndAndItsHistoryReplays() throws Exception {
    SomnusConfig config = ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dataDir.toString(), "SOMNUS_TEMPORAL_DEV_PORT", "0",
        "SOMNUS_MODEL_ID", "cli-test"));
    ScriptedSteps steps = new ScriptedSteps();
    try (EmbeddedStack stack = EmbeddedStack.start(config, steps.factory())) {
      Run first = somnus("sleep", "--run-id", "sleep-cli-1");
      assertEquals(0, first.exit(), first.err());
      assertTrue(first.out().contains("sleep started: run sleep-cli-1"), first.out());
      assertTrue(steps.trainStarted.await(60, TimeUnit.SECONDS), "training began");

      Run second = somnus("sleep", "--run-id", "sleep-cli-2");
      assertEquals(SomnusCli.EXIT_REFUSED, second.exit(), second.out() + second.err());
      assertTrue(second.err().contains("already asleep"), second.err());

      Run status = somnus("status");
      assertEquals(0, status.exit(), status.err());
      assertTrue(status.out().contains("running, run sleep-cli-1: step 5/"), status.out());
      assertTrue(status.out().contains("TrainLora"), status.out());
      assertEquals(ScriptedSteps.BASE, steps.live, "live untouched while the sleep runs");

      Thread release = new Thread(() -> {
        try {
          Thread.sleep(1500);
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
        steps.trainGate.countDown();
      });
      release.start();
      Run watched = somnus("sleep", "--wait", "--run-id", "sleep-cli-3");
      release.join();
      assertEquals(0, watched.exit(), watched.err());
      assertTrue(watched.out().contains("already asleep; following that sleep"), watched.out());
      assertTrue(watched.out().contains("run sleep-cli-1: promoted"), "reports the sleep it followed: " + watched.out());
      assertTrue(watched.out().contains(ScriptedSteps.BASE + " -> " + ScriptedSteps.CANDIDATE), watched.out());
      assertEquals(ScriptedSteps.CANDIDATE, steps.live);
      Path history = dataDir.resolve("histories").resolve("sleep-cli-1.json");
      assertTrue(Files.isRegularFile(history), watched.out());

      Run runs = somnus("runs");
      assertEquals(0, runs.exit(), runs.err());
      assertTrue(runs.out().contains("sleep-cli-1") && runs.out().contains(ScriptedSteps.CANDIDATE), runs.out());
      assertTrue(runs.out().contains("recall_after=0.950"), runs.out());

      Run replay = somnus("replay");
      assertEquals(0, replay.exit(), replay.out() + replay.err());
      assertTrue(replay.out().contains("1 of 1 histories replay"), replay.out());

      Run rollback = somnus("rollback", "--reason", "test");
      assertEquals(0, rollback.exit(), rollback.err());
      assertTrue(rollback.out().contains("live " + ScriptedSteps.CANDIDATE + " -> " + ScriptedSteps.BASE), rollback.out());
      assertEquals(ScriptedSteps.BASE, steps.live);
    }
  }

  @Test
  void withoutAStackCommandsExplainHowToStartOne() {
    Run r = somnus("status");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("somnus dev up"), r.err());
    assertFalse(r.err().contains("Exception"), "one clear line, no stack trace: " + r.err());
  }

  @Test
  void badInputIsRejectedBeforeAnythingStarts() {
    Run r = somnus("rollback", "--to", "yesterday");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("--to must be a model version id"), r.err());
    Run q = somnus("worker", "--task-queue", "tpu");
    assertEquals(2, q.exit());
    assertTrue(q.err().contains("task queue must be 'cpu' or 'gpu'"), q.err());
  }

  @Test
  void modelPrintsTheFolderWeightsDigestAndCardOfTheCachedBuild() throws Exception {
    Run r = somnus("model", "--test");
    assertEquals(0, r.exit(), r.err());
    String[] lines = r.out().split("\\R", 3);
    Path dir = Path.of(lines[0]);
    assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")), r.out());
    assertEquals("weights sha256 " + io.somnus.engine.model.Checkpoint.weightsDigest(dir), lines[1]);
    var card = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[2]);
    assertEquals("somnus-tiny-test", card.get("name").asText());
    assertTrue(card.get("parameters").asLong() > 0, lines[2]);
    // the card printed is the one of the folder printed (cache key = name + fingerprint)
    assertEquals(dir.getFileName().toString(), "somnus-tiny-test-" + card.get("fingerprint").asText());
  }
}
