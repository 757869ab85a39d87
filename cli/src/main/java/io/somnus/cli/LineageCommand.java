package io.somnus.cli;

import io.somnus.infra.SomnusServices;
import io.somnus.store.EditRef;
import io.somnus.store.FactChange;
import io.somnus.store.FactRow;
import io.somnus.store.Lineage;
import io.somnus.store.ModelVersion;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "lineage", description = "Where a fact or a model version came from.",
    subcommands = {LineageCommand.FactHistory.class, LineageCommand.Version.class, LineageCommand.Diff.class})
final class LineageCommand {
  @ParentCommand SomnusCli root;

  /** Every ledger snapshot that recorded or changed the fact, oldest first. */
  static void printFact(SomnusServices services, String factId) {
    List<Lineage.FactEvent> events = services.lineage().factHistory(factId);
    if (events.isEmpty()) {
      System.out.println("fact " + factId + " is not in any ledger snapshot");
      return;
    }
    printHeader(events.get(events.size() - 1).after());
    for (Lineage.FactEvent e : events) {
      System.out.printf("  %s  run %-36s version %-20s %s%n", e.time(), e.runId(), e.modelVersion() == null ? "-" : e.modelVersion(),
          String.join(", ", e.changes()));
    }
    printChain(services, factId);
  }

  /** The updates this fact took part in, oldest first: the value it replaced and the value that replaced it. */
  private static void printChain(SomnusServices services, String factId) {
    List<String> lines = new java.util.ArrayList<>();
    String lastLink = null;
    for (FactRow r : services.ledger().history(factId)) {
      String by = FactRow.SUPERSEDED.equals(r.retired()) ? "replaced by " : r.retired() + "; the base model's answer written in its place: ";
      String link = r.supersededBy() != null ? by + describe(services, r.supersededBy())
          : r.held() && r.supersedes() != null ? "replaced " + describe(services, r.supersedes()) : null;
      if (link != null && !link.equals(lastLink)) lines.add("  run " + r.runId() + ": " + link);
      lastLink = link;
    }
    if (lines.isEmpty()) return;
    System.out.println("updates and forgetting:");
    lines.forEach(System.out::println);
  }

  private static String describe(SomnusServices services, String factId) {
    List<FactRow> rows = services.ledger().history(factId);
    return rows.isEmpty() ? "fact " + factId : "fact " + factId + " (" + rows.get(0).object() + ")";
  }

  /** The fact's row in every ledger snapshot, oldest first: what each run saw, changed or not. */
  static void printFactRecords(SomnusServices services, String factId) {
    List<FactRow> rows = services.ledger().history(factId);
    if (rows.isEmpty()) {
      System.out.println("fact " + factId + " is not in any ledger snapshot");
      return;
    }
    printHeader(rows.get(rows.size() - 1));
    for (FactRow r : rows) {
      System.out.printf("  %s  run %-36s version %-20s %s%n", r.time(), r.runId(), r.modelVersion() == null ? "-" : r.modelVersion(), state(r));
    }
  }

  private static void printHeader(FactRow latest) {
    System.out.println("fact " + latest.factId() + ": " + latest.subject() + " | " + latest.relation() + " | " + latest.object());
  }

  /** Stage, scale and the recall the snapshot measured: a row can change in its recall alone. */
  private static String state(FactRow r) {
    if (!r.held()) return Lineage.retirement(r) + " (last stage " + r.stage() + ")";
    return (r.supersedes() != null ? "supersedes " + r.supersedes() + ", " : "") + "stage " + r.stage() + " scale " + r.memitScale() + " raw " + recall(r.rawRecall()) + " chat " + recall(r.chatRecall());
  }

  private static String recall(Double r) {
    return r == null ? "-" : String.format("%.2f", r);
  }

  /** Ancestry, fused adapters, MEMIT edits with scales, metrics, producing run and fact table of a version. */
  static void printVersion(SomnusServices services, String versionId) {
    Lineage.Composition comp = services.lineage().composition(versionId);
    ModelVersion v = comp.version();
    System.out.println("version    " + v.id() + " (created " + v.createdAt() + " by run " + v.createdByRun() + ")");
    System.out.println("ancestry   " + String.join(" -> ", comp.ancestry()));
    System.out.println("adapters   " + (v.loraHistory().isEmpty() ? "none fused" : String.join(", ", v.loraHistory())));
    System.out.println("edits      " + (v.memitEdits().isEmpty() ? "none" : ""));
    for (EditRef e : v.memitEdits()) System.out.printf("  %s scale %.2f (%s)%n", e.editId(), e.scale(), e.key());
    v.metrics().forEach((k, x) -> System.out.printf("metric     %s = %.4f%n", k, x));
    comp.producedBy().ifPresent(r -> System.out.println("tracking   run " + r.runId() + " in " + r.experiment() + " (" + r.status() + ")"));
    comp.factTable().ifPresent(s -> System.out.println("facts      ledger snapshot of run " + s.runId() + ", " + s.rows() + " rows"));
  }

  @Command(name = "fact", description = "Every run that recorded or changed a fact: stage, MEMIT scale, edit.")
  static final class FactHistory implements Runnable {
    @ParentCommand LineageCommand lineage;

    @Parameters(paramLabel = "FACT_ID")
    String factId;

    @Option(names = "--all", description = "Every ledger snapshot that holds the fact (each audit, with its recall), not only the changes.")
    boolean all;

    @Override
    public void run() {
      try (SomnusServices services = SomnusServices.connect(lineage.root.config())) {
        if (all) printFactRecords(services, factId);
        else printFact(services, factId);
      }
    }
  }

  @Command(name = "version", description = "What a model version is made of: ancestry, fused adapters, MEMIT edits, producing run.")
  static final class Version implements Runnable {
    @ParentCommand LineageCommand lineage;

    @Parameters(paramLabel = "VERSION_ID")
    String versionId;

    @Override
    public void run() {
      try (SomnusServices services = SomnusServices.connect(lineage.root.config())) {
        printVersion(services, versionId);
      }
    }
  }

  @Command(name = "diff", description = "Facts added, removed or changed between two versions' fact tables.")
  static final class Diff implements Runnable {
    @ParentCommand LineageCommand lineage;

    @Parameters(index = "0", paramLabel = "FROM_VERSION")
    String from;

    @Parameters(index = "1", paramLabel = "TO_VERSION")
    String to;

    @Override
    public void run() {
      try (SomnusServices services = SomnusServices.connect(lineage.root.config())) {
        List<FactChange> changes = services.lineage().diff(from, to);
        if (changes.isEmpty()) System.out.println("same fact table");
        for (FactChange ch : changes) {
          String before = ch.before() == null ? "-" : state(ch.before());
          String after = ch.after() == null ? "-" : state(ch.after());
          System.out.printf("  %-8s %-24s %s -> %s%n", ch.kind(), ch.factId(), before, after);
        }
      }
    }
  }
}
