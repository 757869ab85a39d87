package io.somnus.cli;

import io.somnus.infra.HistoryArchive;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "history", description = {
    "Save a workflow's event history as JSON under <data-dir>/histories.",
    "`sleep --wait` does this by itself; e.g. `somnus history sleep-somnus-tiny`. Saved histories outlive the",
    "in-memory Temporal service and are what `somnus replay` checks."})
final class HistoryCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Parameters(paramLabel = "WORKFLOW_ID", description = "sleep-<model>, nap-<model>, rollback-<model> or lifecycle-<model>")
  String workflowId;

  @Option(names = "--run-id", description = "Temporal run id (default: the latest run).")
  String runId;

  @Option(names = "--name", description = "File name without .json (default: workflow id + Temporal run id).")
  String name;

  @Override
  public void run() {
    SomnusConfig c = root.config();
    try (SomnusServices services = SomnusServices.connect(c)) {
      var client = services.workflowClient();
      String run = runId;
      if (run == null) run = client.newUntypedWorkflowStub(workflowId, java.util.Optional.empty(), java.util.Optional.empty())
          .describe().getExecution().getRunId();
      Path file = HistoryArchive.of(c).save(client, workflowId, run, name != null ? name : workflowId + "-" + run);
      System.out.println(file);
    }
  }
}
