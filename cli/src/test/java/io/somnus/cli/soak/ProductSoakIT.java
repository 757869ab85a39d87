package io.somnus.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.Aliases;
import io.somnus.store.ContentKeys;
import io.somnus.store.FactRow;
import io.somnus.store.Lineage;
import io.somnus.store.RunTracker;
import io.somnus.store.ModelVersion;
import io.somnus.store.StoredObject;
import io.somnus.store.TrackedRun;
import io.somnus.store.VersionStates;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.common.v1.WorkflowExecution;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Days of use of the product as separate processes — {@code dev up --no-worker}, workers, {@code teach}, {@code chat}
 * on stdin, {@code sleep --wait}, {@code status}, {@code runs}, {@code rollback}, {@code nap} — on the test model, with
 * faults: a fact taught during a sleep, workers killed with -9 in TrainLora, Validate and FuseToTemp, and the dev stack
 * itself killed mid-sleep and started again. After every step it checks that no process died unexpectedly, that live
 * moved only by a wake write, a promotion or a rollback, that every sleep is in {@code runs} with its outcome, that
 * no version is an orphan or a duplicate and that every stored blob matches its content key; at the end, that every
 * fact taught is in the fact table and recalled raw. Each step's time is printed.
 */
class ProductSoakIT {
  static final String MODEL = SomnusTiny.Variant.TEST.name();
  /** A heavy step silent this long is presumed dead: short, so a killed worker's step is retried within the test. */
  static final int HEARTBEAT_SECONDS = 20;
  static final Duration COMMAND = Duration.ofMinutes(5);
  static final Duration SLEEP = Duration.ofMinutes(8);
  static final Duration WHOLE_RUN = Duration.ofMinutes(30);
  private static final Pattern WRITTEN = Pattern.compile("^\\s+(?:NEW|UPDATE)\\s+([0-9a-f]{12})  (.+?)  .*\\[(?:recalled|not yet recalled)\\]\\s*$");
  private static final Pattern OUTCOME = Pattern.compile("^run (\\S+): (\\S+)$");

  @TempDir Path dir;

  private final List<SomnusProcess> running = new ArrayList<>();
  private final Map<String, Double> timings = new LinkedHashMap<>();
  /** Fact id → sentence, of every fact a command reported written. */
  private final Map<String, String> taught = new LinkedHashMap<>();
  /** Sleep run id → the outcome its {@code sleep --wait} printed. */
  private final Map<String, String> sleeps = new LinkedHashMap<>();
  private final List<WorldFact> pool = SomnusTiny.Variant.TEST.world().heldOutFacts();
  private int nextFact;
  private long lastGeneration;
  private SomnusProcess devUp;
  private SomnusProcess worker;
  private int workers;
  private SomnusServices observer;

  @AfterEach
  void stopEverything() {
    if (observer != null) observer.close();
    for (SomnusProcess p : running) if (p.alive()) p.stop(Duration.ofSeconds(15));
    System.out.println("soak step timings (s):");
    timings.forEach((step, s) -> System.out.printf("  %-58s %7.1f%n", step, s));
  }

  @Test
  void daysOfUseWithKilledWorkersAndARestartedStackLoseNothing() throws Exception {
    long t0 = System.nanoTime();

    // day 1: a stack, a worker, facts, a sleep, more facts, a chat
    step("day 1: dev up --no-worker", this::startStack);
    step("day 1: worker 1", this::startWorker);
    step("day 1: teach 4 facts", () -> teach(4));
    step("day 1: sleep --wait", () -> sleepAndWait(null));
    step("day 1: teach 3 facts after the sleep", () -> teach(3));
    step("day 1: chat (a statement and a question on stdin)", this::chat);

    // day 2: a fact taught while the sleep trains, and the worker killed in TrainLora
    step("day 2: sleep, teach during TrainLora, kill -9 worker", () -> {
      String run = startSleep();
      awaitActivity("TrainLora");
      teach(2);
      killWorkerIn("TrainLora");
      startWorker();
      sleepAndWait(run);
      assertTrue(runsOutput().contains(run), "the sleep is in runs");
    });

    // day 3: workers killed in Validate and in FuseToTemp
    for (String step : List.of("Validate", "FuseToTemp")) {
      step("day 3: teach 2, sleep, kill -9 worker in " + step, () -> {
        teach(2);
        String run = startSleep();
        awaitActivity(step);
        killWorkerIn(step);
        startWorker();
        sleepAndWait(run);
      });
    }

    // day 4: the dev stack killed mid-sleep and started again: the sleep resumes, the worker rejoins by itself
    step("day 4: teach 2, sleep, kill -9 dev up in TrainLora, restart it", () -> {
      teach(2);
      String run = startSleep();
      awaitActivity("TrainLora");
      observer.close();
      observer = null;
      devUp.killHard();
      running.remove(devUp); // killed on purpose: its death is no failure
      startStack();
      assertTrue(devUp.awaitLine(l -> l.contains("resumed    sleep " + run), Duration.ofSeconds(5), "saying the sleep resumed")
          .contains(run));
      worker.awaitLine(l -> l.contains("worker polling task queue cpu at") && !l.equals(firstPollingLine), COMMAND,
          "rejoining the new stack");
      sleepAndWait(run);
    });

    // day 5: roll the last promotion back, then go on teaching
    step("day 5: rollback", this::rollback);
    step("day 5: teach 2 facts after the rollback", () -> teach(2));
    step("day 5: status", () -> {
      String status = cli("status").out();
      assertTrue(status.contains("live       " + observer.registry().aliases().live()), status);
    });

    step("end: every fact taught is in the fact table and recalled raw", this::everyFactKept);
    assertTrue(sleeps.containsValue("promoted"), "the soak's sleeps promote: " + sleeps);
    double total = (System.nanoTime() - t0) / 1e9;
    timings.put("total", total);
    assertTrue(total < WHOLE_RUN.toSeconds(), "the soak took " + total + " s, bound " + WHOLE_RUN.toSeconds() + " s");
  }

  // ---- the steps ----

  private String firstPollingLine;

  private void startStack() {
    devUp = start("dev-up-" + (running.size() + 1), "dev", "up", "--no-worker", "--temporal-port", "0");
    devUp.awaitLine(l -> l.startsWith("  coordinates for other commands"), COMMAND, "announcing the stack");
    observer = SomnusServices.connect(config());
    lastGeneration = Math.max(lastGeneration, observer.registry().aliases().generation());
  }

  private void startWorker() {
    worker = start("worker-" + (++workers), "worker", "--task-queue", "cpu");
    firstPollingLine = worker.awaitLine(l -> l.startsWith("worker polling task queue cpu"), COMMAND, "polling");
  }

  private void teach(int facts) {
    List<String> sentences = new ArrayList<>();
    for (int i = 0; i < facts; i++) sentences.add(pool.get(nextFact++).fact().sentence());
    Path file = dir.resolve("facts-" + nextFact + ".txt");
    try {
      Files.writeString(file, String.join("\n", sentences) + "\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Result r = cli("teach", "--file", file.toString());
    int written = recordWritten(r.out());
    assertTrue(r.out().contains(written + " facts written"), r.out());
    // a statement MEMIT cannot write is refused with its reason, never dropped silently
    assertEquals(facts, written + count(r.out(), "^\\s+- .+\\(.+\\)$"), r.out());
  }

  private void chat() {
    String sentence = pool.get(nextFact++).fact().sentence();
    SomnusProcess chat = start("chat", "chat");
    chat.awaitLine(l -> l.startsWith("chatting with"), COMMAND, "greeting");
    chat.type(sentence);
    chat.type("What does " + pool.get(0).fact().subject() + " do?");
    chat.type("/facts");
    chat.type("/quit");
    assertEquals(0, chat.awaitExit(COMMAND), chat.tail());
    running.remove(chat);
    String out = chat.output();
    Matcher m = Pattern.compile("([0-9a-f]{12})\\s+stage 0\\s+" + Pattern.quote(sentence)).matcher(out);
    if (m.find()) taught.put(m.group(1), sentence);
    else assertTrue(out.contains("not written") || out.contains("refused"), "the chat statement was written or refused with a reason:\n" + out);
    checkInvariants();
  }

  private String startSleep() {
    Result r = cli("sleep");
    Matcher m = Pattern.compile("sleep started: run (\\S+)").matcher(r.out());
    assertTrue(m.find(), r.out());
    return m.group(1);
  }

  /** {@code sleep --wait}: starts one or follows the running one; records the outcome it printed. */
  private void sleepAndWait(String expectedRun) {
    Result r = cli(SLEEP, 0, "sleep", "--wait");
    String run = null;
    String outcome = null;
    for (String line : r.out().split("\n")) {
      Matcher m = OUTCOME.matcher(line);
      if (m.matches()) {
        run = m.group(1);
        outcome = m.group(2);
      }
    }
    assertTrue(run != null, "sleep --wait printed its outcome:\n" + r.out());
    if (expectedRun != null) assertEquals(expectedRun, run, r.out());
    assertTrue(Set.of("promoted", "kept-live", "superseded", "skipped").contains(outcome), r.out());
    sleeps.put(run, outcome);
    System.out.println("soak:   " + run + ": " + outcome);
    recordCarried(r.out());
    checkInvariants();
  }

  private void rollback() {
    Aliases before = observer.registry().aliases();
    Result r = cli("rollback", "--reason", "soak: a bad fuse");
    assertTrue(r.out().contains("live " + before.live() + " -> " + before.previous()), r.out());
    assertEquals(before.previous(), observer.registry().aliases().live());
    // Rolling back a sleep's promotion (a bad fuse) leaves no taught fact behind; rolling back a wake write leaves
    // exactly that write's facts, and the command names them.
    Matcher left = Pattern.compile("^\\s+- ([0-9a-f]{12})  ", Pattern.MULTILINE).matcher(r.out());
    List<String> leftBehind = new ArrayList<>();
    while (left.find()) leftBehind.add(left.group(1));
    if (before.updatedByRun().startsWith("sleep-")) assertEquals(List.of(), leftBehind, "a fuse rolled back loses no fact:\n" + r.out());
    leftBehind.forEach(taught::remove);
    checkInvariants();
  }

  private void everyFactKept() {
    VersionStates states = new VersionStates(observer.registry(), observer.ledger(), dir.resolve("observer-work"));
    Set<String> held = new HashSet<>();
    states.stages(observer.registry().aliases().live()).facts().forEach(f -> held.add(f.id()));
    List<String> missing = new ArrayList<>();
    taught.forEach((id, sentence) -> {
      if (!held.contains(id)) missing.add(id + " " + sentence);
    });
    assertEquals(List.of(), missing, "every fact taught is in the live fact table");

    Result nap = cli("nap");
    Matcher m = Pattern.compile("run (\\S+) on (\\S+): (\\d+) facts audited, (\\d+) healthy, mean raw recall ([0-9.]+)").matcher(nap.out());
    assertTrue(m.find(), nap.out());
    List<FactRow> rows = observer.ledger().tableOfVersion(m.group(2)).orElseThrow();
    List<String> notRecalled = new ArrayList<>();
    for (FactRow row : observer.ledger().table(m.group(1))) {
      if (row.rawRecall() == null || row.rawRecall() < 1.0) notRecalled.add(row.subject() + " " + row.relation() + " " + row.object());
    }
    assertEquals(List.of(), notRecalled, "every fact is recalled raw at the end (" + rows.size() + " held)");
    checkInvariants();
  }

  // ---- faults ----

  /** Waits until the sleep runs {@code activity} on a worker (the pending activity has started). */
  private void awaitActivity(String activity) {
    long end = System.nanoTime() + SLEEP.toNanos();
    while (System.nanoTime() < end) {
      if (pendingActivities().contains(activity)) return;
      pause(Duration.ofMillis(150));
    }
    fail("the sleep never ran " + activity + "\n" + worker.tail());
  }

  private void killWorkerIn(String activity) {
    assertTrue(pendingActivities().contains(activity), "still in " + activity + " when the worker is killed");
    worker.killHard();
    running.remove(worker);
  }

  private Set<String> pendingActivities() {
    var stubs = observer.workflowClient().getWorkflowServiceStubs();
    var req = DescribeWorkflowExecutionRequest.newBuilder().setNamespace(observer.endpoints().namespace())
        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(SleepWorkflows.sleepId(MODEL))).build();
    Set<String> out = new HashSet<>();
    try {
      for (PendingActivityInfo a : stubs.blockingStub().describeWorkflowExecution(req).getPendingActivitiesList()) {
        if (a.getState().name().endsWith("STARTED")) out.add(a.getActivityType().getName());
      }
    } catch (RuntimeException notYet) {
      // the sleep is not started yet
    }
    return out;
  }

  // ---- invariants ----

  /** What must hold after every step. */
  private void checkInvariants() {
    for (SomnusProcess p : running) assertTrue(p.alive(), p.name() + " died\n" + p.tail());
    Map<String, TrackedRun> runs = new HashMap<>();
    for (TrackedRun r : observer.tracking().searchRuns(observer.experiment(), Map.of())) {
      runs.put(r.tags().get(Lineage.RUN_ID_TAG), r);
    }
    sleeps.forEach((run, outcome) -> {
      TrackedRun tracked = runs.get(run);
      assertTrue(tracked != null, "sleep " + run + " is in runs");
      assertEquals(outcome, tracked.tags().get(RunTracker.OUTCOME_TAG), "run " + run + " has its true outcome");
      if (!outcome.equals("promoted")) assertTrue(tracked.params().containsKey("reason"), "a " + outcome + " sleep says why");
    });
    liveMovedOnlyByWritesPromotionsOrRollbacks(runs);
    noOrphanOrDuplicateVersions(runs);
    blobsMatchTheirKeys();
  }

  private void liveMovedOnlyByWritesPromotionsOrRollbacks(Map<String, TrackedRun> runs) {
    Aliases a = observer.registry().aliases();
    if (a.generation() == lastGeneration) return;
    String by = a.updatedByRun();
    boolean wake = by.startsWith("wake-") || by.startsWith("import-");
    TrackedRun run = runs.get(by);
    boolean promoted = run != null && "promoted".equals(run.tags().get(RunTracker.OUTCOME_TAG));
    boolean rolledBack = run != null && "rollback".equals(run.tags().get("somnus.kind"));
    assertTrue(wake || promoted || rolledBack, "live (generation " + a.generation() + ") was last moved by " + by
        + ", which is no wake write, promoted sleep or rollback");
    lastGeneration = a.generation();
  }

  private void noOrphanOrDuplicateVersions(Map<String, TrackedRun> runs) {
    List<ModelVersion> versions = observer.registry().versions();
    Map<String, ModelVersion> byId = new HashMap<>();
    versions.forEach(v -> byId.put(v.id(), v));
    Set<String> anchored = new HashSet<>();
    List<String> roots = new ArrayList<>();
    roots.addAll(observer.registry().livesSince(0)); // every version that ever served
    for (ModelVersion v : versions) if (runs.containsKey(v.createdByRun())) roots.add(v.id());
    for (String root : roots) {
      for (String id = root; id != null && anchored.add(id); ) id = byId.get(id).parentId();
    }
    List<String> orphans = versions.stream().filter(v -> !anchored.contains(v.id())).map(v -> v.id() + " by " + v.createdByRun()).toList();
    assertEquals(List.of(), orphans, "every version served, is an ancestor of one that did, or was made by a recorded run");
    Set<String> contents = new HashSet<>();
    VersionStates states = new VersionStates(observer.registry(), observer.ledger(), dir.resolve("observer-work"));
    for (ModelVersion v : versions) {
      // the same weights with other fact stages (a gate moved facts but no edit's scale) are another version
      String content = v.createdByRun() + v.checkpoint() + v.loraHistory() + v.memitEdits() + states.stages(v.id()).entries();
      assertTrue(contents.add(content), "version " + v.id() + " duplicates another of run " + v.createdByRun());
    }
  }

  private void blobsMatchTheirKeys() {
    for (StoredObject o : observer.objectStore().list(ContentKeys.PREFIX)) {
      assertEquals(o.key(), ContentKeys.keyOf(observer.objectStore().getBytes(o.key())), "blob content matches its key");
    }
  }

  // ---- bookkeeping of what commands reported ----

  private int recordWritten(String out) {
    int n = 0;
    for (String line : out.split("\n")) {
      Matcher m = WRITTEN.matcher(line);
      if (m.find()) {
        taught.put(m.group(1), m.group(2));
        n++;
      }
    }
    return n;
  }

  private void recordCarried(String out) {
    // nothing to record: carried facts were reported by the teach that wrote them
    assertFalse(out.contains("Exception"), out);
  }

  private String runsOutput() {
    return cli("runs", "--limit", "100").out();
  }

  private static int count(String out, String regex) {
    Pattern p = Pattern.compile(regex);
    int n = 0;
    for (String line : out.split("\n")) if (p.matcher(line).matches()) n++;
    return n;
  }

  // ---- processes ----

  private record Result(int exit, String out) {}

  private Result cli(String... args) {
    return cli(COMMAND, 0, args);
  }

  private Result cli(Duration timeout, int expectedExit, String... args) {
    SomnusProcess p = start(args[0], args);
    int exit = p.awaitExit(timeout);
    running.remove(p);
    assertEquals(expectedExit, exit, "somnus " + String.join(" ", args) + "\n" + p.tail());
    assertFalse(p.output().contains("Exception:"), "no raw exception from somnus " + String.join(" ", args) + "\n" + p.tail());
    return new Result(exit, p.output());
  }

  private SomnusProcess start(String name, String... args) {
    List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx2g", "-Dai.djl.offline=true",
        "-DDJL_CACHE_DIR=" + somnusHome().resolve("djl-cache"), "-Dsomnus.home=" + somnusHome(),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error",
        "-Dorg.slf4j.simpleLogger.log.io.temporal.internal.worker.HeartbeatManager=error",
        "-cp", classpath(), "io.somnus.cli.SomnusCli", "--data-dir", dir.resolve("data").toString(), "--model", MODEL));
    cmd.addAll(List.of(args));
    // The knowledge guard off: this test is about the flow under faults and needs sleeps that promote (a teach during
    // a sleep is carried over only by a promotion); what sleeps cost the test model is the evaluation's to measure.
    Map<String, String> env = Map.of("OMP_NUM_THREADS", "1", "SOMNUS_STEP_HEARTBEAT_SECONDS", Integer.toString(HEARTBEAT_SECONDS),
        "SOMNUS_HOME", somnusHome().toString(), "SOMNUS_VALIDATION_MAX_KNOWLEDGE_LOSS_PER_SLEEP", "1",
        "SOMNUS_VALIDATION_MAX_KNOWLEDGE_LOSS_OVER_LIFETIME", "1");
    SomnusProcess p = SomnusProcess.start(name, cmd, env, Path.of("target", "soak", name + "-" + System.nanoTime() + ".log"));
    running.add(p);
    return p;
  }

  private SomnusConfig config() {
    return ConfigLoader.load(null, Map.of()).withDataDir(dir.resolve("data")).withModelId(MODEL);
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The launcher's classpath: the CLI's classes and the runtime dependencies Maven listed at package time. */
  private static String classpath() {
    try {
      return Path.of("target", "classes").toAbsolutePath() + java.io.File.pathSeparator
          + Files.readString(Path.of("target", "classpath.txt")).strip();
    } catch (IOException e) {
      throw new IllegalStateException("run after `mvn package` (target/classpath.txt is written then)", e);
    }
  }

  private static Path somnusHome() {
    String home = System.getProperty("somnus.home");
    return home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".somnus");
  }

  private void step(String name, Runnable body) {
    long t = System.nanoTime();
    System.out.println("soak: " + name + " ...");
    body.run();
    timings.put(name, (System.nanoTime() - t) / 1e9);
    System.out.printf("soak: %s done in %.1f s%n", name, timings.get(name));
  }

  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
