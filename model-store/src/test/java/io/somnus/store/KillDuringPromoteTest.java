package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a promoting process (SIGKILL, in another JVM) at the two dangerous moments and checks what
 * the survivors see: the old version still live and materialisable, and no half-written version.
 */
class KillDuringPromoteTest {
  @TempDir Path root;
  StoreFixture fx;
  ModelRegistry registry;
  ModelVersion live;

  @BeforeEach
  void start() throws Exception {
    fx = new StoreFixture(root, "promote");
    registry = new ModelRegistry(fx.store);
    live = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("live"), 1, 2), "import"));
    registry.promote(live.id(), "import");
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void killDuringUploadLeavesNoVersionAndLiveUnchanged() throws Exception {
    Aliases before = registry.aliases();
    List<String> versionsBefore = ids();
    // Both shards change, so the child has several new blobs to upload; it dies after the first.
    Path candidate = StoreFixture.checkpoint(root.resolve("candidate"), 30, 31);
    String out = runChildAndKill(candidate, "upload");
    assertTrue(out.startsWith("upload sha256/"), out);
    String uploaded = out.substring("upload ".length());
    assertTrue(fx.store.exists(uploaded), "the child really did store a blob before dying");

    assertEquals(versionsBefore, ids(), "no manifest may appear for an interrupted version");
    assertEquals(before, registry.aliases());
    assertEquals(live.id(), registry.live().id());
    registry.materialise(live.id(), root.resolve("still-serving"));

    // The orphaned upload is garbage once its grace period is over; nothing live is touched.
    GarbageCollector.Report gc = new GarbageCollector(fx.store).collect(Duration.ZERO, false);
    assertTrue(gc.deleted().stream().anyMatch(o -> o.key().equals(uploaded)), "orphan collected");
    for (String k : live.blobKeys()) assertTrue(fx.store.exists(k));
  }

  @Test
  void killBetweenCommitAndAliasMoveLeavesOldLiveAndACompleteCandidate() throws Exception {
    Aliases before = registry.aliases();
    Path candidate = StoreFixture.checkpoint(root.resolve("candidate"), 1, 77);
    String out = runChildAndKill(candidate, "alias");
    String candidateId = out.substring("alias ".length());

    assertEquals(before, registry.aliases(), "alias table untouched");
    assertEquals(live.id(), registry.live().id());
    // The committed candidate is whole: every blob present, materialisable, promotable later.
    ModelVersion v = registry.version(candidateId);
    for (String k : v.blobKeys()) assertTrue(fx.store.exists(k), k);
    Path m = registry.materialise(candidateId, root.resolve("candidate-check"));
    assertTrue(Files.exists(m.resolve("model-00002-of-00002.safetensors")));
    assertEquals(2, registry.promote(candidateId, "retry", 1).generation());
  }

  private List<String> ids() {
    return registry.versions().stream().map(ModelVersion::id).toList();
  }

  /** Starts {@link PromoteChild}, waits for its barrier line, SIGKILLs it; returns the barrier text. */
  private String runChildAndKill(Path checkpoint, String stopAt) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", PromoteChild.class.getName(),
        fx.server.endpoint().toString(), fx.server.accessKey(), fx.server.secretKey(), "promote",
        checkpoint.toString(), live.id(), "sleep-crash", stopAt));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder log = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        log.append(line).append('\n');
        if (line.startsWith("BARRIER ")) {
          p.destroyForcibly();
          assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
          return line.substring("BARRIER ".length());
        }
      }
    } finally {
      p.destroyForcibly();
    }
    throw new AssertionError("child exited (" + p.waitFor() + ") without reaching the barrier:\n" + log);
  }
}
