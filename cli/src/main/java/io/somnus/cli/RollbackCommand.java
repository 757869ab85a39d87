package io.somnus.cli;

import io.somnus.engine.memory.Fact;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.VersionNotFoundException;
import io.somnus.store.VersionStates;
import io.somnus.workflows.RollbackWorkflow;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepWorkflows;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "rollback", description = "Make an earlier model version live again (recorded as a run; nothing is deleted).")
final class RollbackCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--to", paramLabel = "VERSION", description = "Version id (mv-...) to make live (default: the 'previous' alias).")
  String target;

  @Option(names = "--reason", defaultValue = "", description = "Why, for the lineage record.")
  String reason;

  @Override
  public void run() {
    if (target != null && !target.matches("mv-[0-9a-f]{16}")) throw new IllegalArgumentException("--to must be a model version id like mv-0123456789abcdef, got " + target);
    SomnusConfig c = root.config();
    try (SomnusServices services = SomnusServices.connect(c)) {
      RollbackWorkflow.Result r = start(services, target, reason);
      System.out.println("run " + r.runId() + ": live " + r.fromVersionId() + " -> " + r.toVersionId());
      printFactsLeftBehind(services, r);
    }
  }

  /** Facts the old live held and the new one does not (taught after it): a rollback is no silent forgetting. */
  private static void printFactsLeftBehind(SomnusServices services, RollbackWorkflow.Result r) {
    VersionStates states = ProductSteps.versionStates(services);
    Set<String> kept = new HashSet<>();
    List<Fact> left;
    try {
      states.stages(r.toVersionId()).facts().forEach(f -> kept.add(f.id()));
      left = states.stages(r.fromVersionId()).facts().stream().filter(f -> !kept.contains(f.id())).toList();
    } catch (VersionNotFoundException e) {
      // the rollback is done; only the listing is lost (the registry this command reads is not the worker's)
      System.out.println("(cannot list the facts left behind: " + e.getMessage() + ")");
      return;
    }
    if (left.isEmpty()) return;
    System.out.println(left.size() + " facts taught after " + r.toVersionId() + " are not in live any more (teach them again to keep them):");
    for (Fact f : left) System.out.println("  - " + f.id() + "  " + f.sentence());
  }

  /**
   * Runs a rollback (the RollbackWorkflow, a recorded run) and waits for it; the lineage page's rollback is this too.
   *
   * @param target version to make live; null for the 'previous' alias
   */
  static RollbackWorkflow.Result start(SomnusServices services, String target, String reason) {
    String model = services.config().modelId();
    String runId = RunIds.fresh("rollback", model, System.currentTimeMillis());
    return SleepWorkflows.rollback(services.workflowClient(), new RollbackWorkflow.Request(model, runId, target, reason,
        services.config().steps().timeouts()));
  }
}
