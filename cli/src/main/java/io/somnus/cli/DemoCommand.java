package io.somnus.cli;

import io.somnus.cli.wake.FactClassifier;
import io.somnus.cli.wake.WakeChat;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.EmbeddedStack;
import io.somnus.infra.HistoryArchive;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepPolicy;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepResult;
import io.somnus.workflows.SleepWorkflows;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "demo", description = {
    "Wake -> sleep -> recall on the embedded stack, in one process, on a fresh data folder:",
    "teaches somnus-tiny facts it has never seen by stating them in chat, sleeps (the durable workflow),",
    "and prints raw and chat recall before, after waking and after sleeping."})
final class DemoCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--facts", defaultValue = "6", description = "Held-out facts to teach (default ${DEFAULT-VALUE}).")
  int facts;

  @Option(names = "--per-message", defaultValue = "1", description = "Statements per chat message, one MEMIT edit each (default ${DEFAULT-VALUE}).")
  int perMessage;

  @Option(names = "--no-sleep", description = "Stop after waking.")
  boolean noSleep;

  private record Recall(boolean raw, boolean chat) {}

  @Override
  public void run() {
    if (facts < 1 || perMessage < 1) throw new IllegalArgumentException("--facts and --per-message must be ≥ 1");
    SomnusConfig base = root.config();
    if (!base.modelId().equals(SomnusTiny.Variant.DEFAULT.name())) throw new CliException("the demo runs on somnus-tiny (its synthetic world supplies the facts)");
    Path dir = base.dataDir().resolve("demo").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    SomnusConfig c = base.withDataDir(dir)
        .withTemporal(new SomnusConfig.Temporal(null, null, 0))
        .withS3(new SomnusConfig.S3(null, null, null, base.s3().bucket(), 0));
    System.out.println("demo data folder: " + dir);
    System.out.println("somnus-tiny: " + SomnusTiny.ensure(SomnusTiny.Variant.DEFAULT) + " (built once, then cached)");
    List<WorldFact> lessons = SomnusTiny.Variant.DEFAULT.world().heldOutFacts().subList(0, facts);

    try (EmbeddedStack stack = EmbeddedStack.start(c, ModelSteps.factory())) {
      SomnusServices services = stack.services();
      System.out.println("embedded stack: Temporal " + stack.info().temporalTarget() + ", S3 " + stack.info().s3Endpoint());
      System.out.println("base version: " + Wake.ensureBase(services, null));
      Map<WorldFact, Recall> before;
      Map<WorldFact, Recall> afterWake;
      List<String> writtenIds = new ArrayList<>();
      try (WakeMemory memory = Wake.memory(services)) {
        before = measure(memory.runtime(), lessons);
        WakeChat chat = Wake.chat(services, memory, false, Wake.Extraction.PATTERN, FactClassifier.forSyntheticWorld());
        for (int i = 0; i < lessons.size(); i += perMessage) {
          StringBuilder msg = new StringBuilder();
          for (WorldFact f : lessons.subList(i, Math.min(lessons.size(), i + perMessage))) msg.append(f.fact().sentence()).append(' ');
          System.out.println("you> " + msg.toString().strip());
          WakeChat.Learned learned = chat.learn(msg.toString());
          if (learned.taught() != null) {
            var t = learned.taught();
            t.written().forEach(f -> writtenIds.add(f.id()));
            t.written().forEach(f -> System.out.println("  remembered: " + f.sentence()
                + (Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? " (recalled right away)" : " (written, not yet recalled)")));
            t.repaired().forEach(f -> System.out.println("  written again: " + f.sentence() + " (the new edit displaced it; "
                + (Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? "recalled again)" : "not yet recalled)")));
          }
          learned.notWritten().forEach(s -> System.out.println("  not remembered: " + s));
        }
        afterWake = measure(memory.runtime(), lessons);
        System.out.println("live after waking: " + memory.liveVersionId());
      }
      table(lessons, before, afterWake, null);
      if (noSleep) return;
      String runId = RunIds.fresh("sleep", c.modelId(), System.currentTimeMillis());
      var stub = SleepWorkflows.startSleep(services.workflowClient(), new SleepRequest(c.modelId(), runId, false,
          SleepPolicy.defaults().withTimeouts(c.steps().timeouts())));
      SleepResult slept;
      try {
        slept = new SleepWatch(stub, System.out, Duration.ofMillis(500)).await();
      } finally {
        Path history = HistoryArchive.of(c).save(services.workflowClient(), SleepWorkflows.sleepId(c.modelId()), stub.getExecution().getRunId(), runId);
        System.out.println("sleep history: " + history);
      }
      SleepCommand.print(slept);
      Map<WorldFact, Recall> afterSleep;
      try (WakeMemory memory = Wake.memory(services)) {
        afterSleep = measure(memory.runtime(), lessons);
      }
      table(lessons, before, afterWake, afterSleep);
      lineage(services, writtenIds, slept);
      System.out.println();
      System.out.println("everything above is recorded in " + dir + "; to look around:");
      System.out.println("  ./somnus --data-dir " + dir + " dev up        # then, in another terminal:");
      System.out.println("  ./somnus --data-dir " + dir + " runs --metrics");
      System.out.println("  ./somnus --data-dir " + dir + " lineage version " + slept.versions().liveAfter());
    }
  }

  /** The demo's own records answer the lineage questions: what the sleep did to a fact, what live is made of. */
  private static void lineage(SomnusServices services, List<String> factIds, SleepResult slept) {
    if (factIds.isEmpty()) return;
    System.out.println();
    System.out.println("lineage of the first fact taught (somnus lineage fact " + factIds.get(0) + "):");
    LineageCommand.printFact(services, factIds.get(0));
    System.out.println();
    System.out.println("lineage of the live version (somnus lineage version " + slept.versions().liveAfter() + "):");
    LineageCommand.printVersion(services, slept.versions().liveAfter());
  }

  private static Map<WorldFact, Recall> measure(ModelRuntime rt, List<WorldFact> lessons) {
    RecallProbe probe = new RecallProbe(rt, 12);
    Map<WorldFact, Recall> out = new LinkedHashMap<>();
    for (WorldFact f : lessons) out.put(f, new Recall(probe.rawRecall(f.fact()), probe.chatRecall(f.fact(), f.question())));
    return out;
  }

  private static void table(List<WorldFact> lessons, Map<WorldFact, Recall> before, Map<WorldFact, Recall> wake, Map<WorldFact, Recall> sleep) {
    System.out.println();
    System.out.printf("%-48s %-11s %-11s %s%n", "fact (raw / chat recall)", "before", "after wake", sleep == null ? "" : "after sleep");
    List<Map<WorldFact, Recall>> columns = new ArrayList<>(List.of(before, wake));
    if (sleep != null) columns.add(sleep);
    for (WorldFact f : lessons) {
      StringBuilder row = new StringBuilder(String.format("%-48s", abbreviate(f.fact().sentence(), 48)));
      for (Map<WorldFact, Recall> col : columns) row.append(' ').append(String.format("%-11s", mark(col.get(f))));
      System.out.println(row.toString().stripTrailing());
    }
    StringBuilder total = new StringBuilder(String.format("%-48s", "recall (raw / chat)"));
    for (Map<WorldFact, Recall> col : columns) {
      long raw = col.values().stream().filter(Recall::raw).count();
      long chat = col.values().stream().filter(Recall::chat).count();
      total.append(' ').append(String.format("%-11s", raw + "/" + lessons.size() + " " + chat + "/" + lessons.size()));
    }
    System.out.println(total.toString().stripTrailing());
  }

  private static String mark(Recall r) {
    return (r.raw() ? "yes" : "no") + " / " + (r.chat() ? "yes" : "no");
  }

  private static String abbreviate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }
}
