package io.somnus.cli;

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
      WakeChat chat = Wake.chat(services, memory, true, extractor);
      int written = 0;
      for (int i = 0; i < lines.size(); i += batch) {
        String message = String.join("\n", lines.subList(i, Math.min(lines.size(), i + batch)));
        WakeChat.Learned learned = chat.learn(message);
        if (learned.taught() != null && !learned.written().isEmpty()) {
          WakeMemory.Taught t = learned.taught();
          System.out.println("version " + t.versionId() + " (edit " + t.editId() + ") is live:");
          for (var f : t.written()) {
            System.out.println("  + " + f.id() + "  " + f.sentence() + (Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? "  [recalled]" : "  [not yet recalled]"));
          }
          for (var f : t.repaired()) {
            System.out.println("  ~ " + f.id() + "  " + f.sentence() + " (displaced by this edit, written again"
                + (Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? ")  [recalled]" : ")  [not yet recalled]"));
          }
          written += t.written().size();
        }
        for (String n : learned.notWritten()) System.out.println("  - " + n);
        for (String n : learned.unused()) System.out.println("  - " + n);
      }
      System.out.println(written + " facts written; live version " + memory.liveVersionId());
    }
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
