package io.somnus.cli;

import io.somnus.cli.wake.FactClassifier;
import io.somnus.cli.wake.WakeChat;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.infra.SomnusServices;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "teach", description = {
    "Write facts into the live model now (MEMIT), from statements like \"Mara Okafor lives in Lisbon.\"",
    "Statements pass the same extraction and grounding firewall as chat; each batch becomes one edit and one version."})
final class TeachCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--extractor", defaultValue = "PATTERN", description = "How facts are found: PATTERN (statement patterns, for small models) or MODEL (the model lists them as JSON). Default ${DEFAULT-VALUE}.")
  Wake.Extraction extractor;

  @Mixin RelationOptions relations;

  @Option(names = "--file", paramLabel = "FILE", description = "Text file with one or more statements per line.")
  Path file;

  @Option(names = "--batch", defaultValue = "8", description = "Lines per MEMIT edit (default ${DEFAULT-VALUE}).")
  int batch;

  @Parameters(paramLabel = "STATEMENT", arity = "0..*", description = "Statements given on the command line.")
  List<String> statements = new ArrayList<>();

  @Override
  public void run() {
    if (batch < 1) throw new IllegalArgumentException("--batch must be ≥ 1");
    List<String> lines = new ArrayList<>(statements);
    if (file != null) lines.addAll(statementsIn(file));
    if (lines.isEmpty()) throw new IllegalArgumentException("nothing to teach: give statements or --file");
    try (SomnusServices services = SomnusServices.connect(root.config()); WakeMemory memory = Wake.memory(services)) {
      WakeChat chat = Wake.chat(services, memory, true, extractor, relations.classifier());
      int written = 0;
      int removed = 0;
      for (int i = 0; i < lines.size(); i += batch) {
        String message = String.join("\n", lines.subList(i, Math.min(lines.size(), i + batch)));
        WakeChat.Learned learned = chat.learn(message);
        WakeMemory.Taught t = learned.taught();
        if (t != null && t.changed()) {
          System.out.println("version " + t.versionId() + (t.editId() == null ? "" : " (edit " + t.editId() + ")") + " is live:");
          written += t.written().size();
          removed += t.removed().size();
        }
        for (FactClassifier.Classified c : learned.classified()) System.out.println("  " + line(c, t));
        if (t != null) {
          for (var f : t.repaired()) {
            System.out.println("  ~ " + f.id() + "  " + f.sentence() + " (displaced by this edit, written again)" + recall(t, f));
          }
          for (var f : t.notKept()) {
            System.out.println("  ! " + f.id() + "  " + f.sentence() + " (this edit displaced it and writing it again did not hold;"
                + " the next sleep trains it again)");
          }
          for (var f : t.resolved()) {
            System.out.println("  = " + f.id() + "  " + f.sentence() + " (shared an edit with a removed fact, solved again without it)"
                + recall(t, f));
          }
          for (WakeMemory.Removal r : t.removed()) {
            System.out.println("  x " + r.fact().id() + "  " + r.fact().sentence() + " " + r.why()
                + (r.restoresBaseAnswer() ? " (sleeps had put it into the fused weights: the base model's answer is written in its place, "
                    + r.by().id() + " " + r.by().sentence() + ")" : "")
                + (Boolean.TRUE.equals(t.recalledRightAfter().get(r.fact().id())) ? "  [old value still recalled]" : "  [old value no longer recalled]"));
          }
        }
        for (String n : learned.notWritten()) {
          // a duplicate was shown above with its class
          if (learned.classified().stream().noneMatch(c -> c.change() == FactClassifier.Change.DUPLICATE && n.startsWith(c.fact().sentence()))) {
            System.out.println("  - " + n);
          }
        }
        for (String n : learned.unused()) System.out.println("  - " + n);
      }
      if (removed > 0) System.out.println(removed + " facts taken out");
      System.out.println(written + " facts written; live version " + memory.liveVersionId());
    }
  }

  /** One classified fact: what it does to memory, its id, and for a written one whether the new version recalls it. */
  private static String line(FactClassifier.Classified c, WakeMemory.Taught t) {
    String head = String.format("%-9s %s  %s", c.change(), c.fact().id(), c.fact().sentence());
    String note = c.note() == null ? "" : "  (" + c.note() + ")";
    boolean writes = c.change() == FactClassifier.Change.NEW || c.change() == FactClassifier.Change.UPDATE;
    if (!writes) return head + note + (c.change() == FactClassifier.Change.DUPLICATE ? "  [nothing to write]" : "");
    if (t == null || !t.written().contains(c.fact())) return head + note + "  [not written]";
    return head + note + recall(t, c.fact());
  }

  private static String recall(WakeMemory.Taught t, io.somnus.engine.memory.Fact f) {
    return Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? "  [recalled]" : "  [not yet recalled]";
  }

  /** The file's lines that hold statements (blank lines and {@code #} comments skipped), or why it cannot be read. */
  static List<String> statementsIn(Path file) {
    if (Files.isDirectory(file)) throw new IllegalArgumentException("--file " + file + " is a folder; give a text file of statements");
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--file " + file + " does not exist");
    List<String> lines = new ArrayList<>();
    try {
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) if (!l.isBlank() && !l.strip().startsWith("#")) lines.add(l.strip());
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException("--file " + file + " is not UTF-8 text; save it as UTF-8 and teach it again (nothing was written)");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --file " + file + ": " + e.getMessage());
    }
    if (lines.isEmpty()) throw new IllegalArgumentException("--file " + file + " holds no statements (only blank or # lines)");
    return lines;
  }
}
