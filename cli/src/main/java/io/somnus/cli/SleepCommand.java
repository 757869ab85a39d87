package io.somnus.cli;

import io.somnus.infra.HistoryArchive;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepPolicy;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepResult;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "sleep", description = {
    "Start a sleep of the model: consolidate what it learned while awake into its weights.",
    "One sleep per model at a time: a second request is refused (exit code 3), or with --wait it watches the running one."})
final class SleepCommand implements Callable<Integer> {
  @ParentCommand SomnusCli root;

  @Option(names = "--wait", description = "Follow the sleep with a progress bar until it ends, then save its history.")
  boolean wait;

  @Option(names = "--max-facts", description = "Facts consolidated per sleep at most (default ${DEFAULT-VALUE}).", defaultValue = "64")
  int maxFacts;

  @Option(names = "--retries", description = {"Times to train again, at half the learning rate, when validation refuses the",
      "candidate (default ${DEFAULT-VALUE}; 0 keeps the live version at the first refusal)."},
      defaultValue = "" + SleepPolicy.RETRIES_ON_REFUSAL)
  int retries;

  @Option(names = "--run-id", description = "Somnus run id (default: sleep-<model>-<UTC time>).")
  String runId;

  @Override
  public Integer call() {
    SomnusConfig c = root.config();
    // Bad options are refused before any service is started.
    SleepPolicy defaults = SleepPolicy.defaults();
    SleepPolicy policy = new SleepPolicy(maxFacts, defaults.recallThreshold(), defaults.lora(), defaults.thresholds(),
        c.steps().timeouts(), retries);
    try (SomnusServices services = SomnusServices.connect(c)) {
      WorkflowClient client = services.workflowClient();
      String id = runId != null ? runId : RunIds.fresh("sleep", c.modelId(), System.currentTimeMillis());
      String workflowId = SleepWorkflows.sleepId(c.modelId());
      WorkflowStub stub;
      try {
        stub = SleepWorkflows.startSleep(client, new SleepRequest(c.modelId(), id, c.gpuWorkers(), policy));
        System.out.println("sleep started: run " + id + " (workflow " + workflowId + ")");
      } catch (WorkflowExecutionAlreadyStarted running) {
        String current = running.getExecution().getRunId();
        if (!wait) {
          System.err.println("somnus: model " + c.modelId() + " is already asleep (workflow " + workflowId + ", Temporal run "
              + current + "); one sleep at a time. Watch it with `somnus sleep --wait`.");
          return SomnusCli.EXIT_REFUSED;
        }
        System.out.println("model " + c.modelId() + " is already asleep; following that sleep");
        stub = client.newUntypedWorkflowStub(workflowId, Optional.of(current), Optional.empty());
      }
      if (!wait) {
        System.out.println("follow it with `somnus sleep --wait` or `somnus status`");
        return 0;
      }
      SleepResult result = new SleepWatch(stub, System.out, Duration.ofMillis(500)).await();
      print(result);
      Path history = HistoryArchive.of(c).save(client, workflowId, stub.getExecution().getRunId(), result.runId());
      System.out.println("history saved: " + history + " (check it with `somnus replay " + history + "`)");
      return 0;
    }
  }

  static void print(SleepResult r) {
    SleepResult.Versions v = r.versions();
    System.out.println("run " + r.runId() + ": " + r.outcome());
    System.out.println("  live        " + v.liveBefore() + (v.liveAfter().equals(v.liveBefore()) ? " (unchanged)" : " -> " + v.liveAfter()));
    if (v.validated() != null && !r.promoted()) System.out.println("  candidate   " + v.validated() + " (not promoted)");
    SleepResult.FactCounts f = r.facts();
    System.out.printf("  facts       %d considered, %d advanced, %d retreated, %d refreshed%s%n", f.considered(), f.advanced(),
        f.retreated(), f.refreshed(), f.carried() > 0 ? ", " + f.carried() + " taught meanwhile carried over" : "");
    SleepResult.Quality q = r.quality();
    if (v.validated() != null) {
      String after = r.promoted() ? "" : " (candidate)";
      System.out.printf("  recall      %.3f -> %.3f%s%n", q.recallBefore(), q.recallAfter(), after);
      System.out.printf("  perplexity  %.3f -> %.3f%s%n", q.perplexityBefore(), q.perplexityAfter(), after);
    }
    for (String id : r.keptScaleEditIds()) {
      System.out.println("  kept scale  " + id + " (a lower scale would lose an answer; its facts hold their stage)");
    }
    for (String reason : r.reasons()) System.out.println("  reason      " + reason);
  }
}
