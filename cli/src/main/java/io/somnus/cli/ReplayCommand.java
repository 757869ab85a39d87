package io.somnus.cli;

import io.somnus.infra.HistoryArchive;
import io.somnus.infra.HistoryReplayer;
import io.temporal.common.WorkflowExecutionHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "replay", description = {
    "Replay saved workflow histories on the current workflow code.",
    "A history the code would no longer produce (non-determinism) fails. Without arguments: every history",
    "under <data-dir>/histories."})
final class ReplayCommand implements Callable<Integer> {
  @ParentCommand SomnusCli root;

  @Parameters(paramLabel = "HISTORY.json", arity = "0..*")
  List<Path> files = new ArrayList<>();

  @Override
  public Integer call() {
    List<Path> histories = files.isEmpty() ? saved(HistoryArchive.of(root.config()).dir()) : files;
    if (histories.isEmpty()) throw new CliException("no histories to replay (run `somnus sleep --wait` or `somnus history <workflow-id>` first)");
    int failed = 0;
    try (HistoryReplayer replayer = new HistoryReplayer()) {
      for (Path f : histories) {
        try {
          WorkflowExecutionHistory h = replayer.replay(f);
          System.out.printf("ok      %s (%s, %d events)%n", f, h.getWorkflowExecution().getWorkflowId(), h.getEvents().size());
        } catch (HistoryReplayer.NonDeterministicHistoryException | IllegalArgumentException | UncheckedIOException e) {
          failed++;
          System.out.printf("FAILED  %s: %s%n", f, e.getMessage());
        }
      }
    }
    System.out.println((histories.size() - failed) + " of " + histories.size() + " histories replay on this code");
    return failed == 0 ? 0 : 1;
  }

  private static List<Path> saved(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
