package io.somnus.cli;

import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.workflows.NapWorkflow;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepWorkflows;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "nap", description = "Audit the live model's facts and record their recall; no weight changes.")
final class NapCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--recall-threshold", defaultValue = "0.5", description = "Raw recall below this counts as degraded (default ${DEFAULT-VALUE}).")
  double recallThreshold;

  @Override
  public void run() {
    if (!(recallThreshold >= 0 && recallThreshold <= 1)) throw new IllegalArgumentException("--recall-threshold must be in [0,1]");
    SomnusConfig c = root.config();
    try (SomnusServices services = SomnusServices.connect(c)) {
      String runId = RunIds.fresh("nap", c.modelId(), System.currentTimeMillis());
      NapWorkflow.Result r = SleepWorkflows.nap(services.workflowClient(),
          new NapWorkflow.Request(c.modelId(), runId, c.gpuWorkers(), recallThreshold, c.steps().timeouts()));
      System.out.printf("run %s on %s: %d facts audited, %d healthy, mean raw recall %.3f%n", r.runId(), r.liveVersionId(),
          r.audited(), r.healthy(), r.meanRawRecall());
      if (!r.degradedFactIds().isEmpty()) System.out.println("  degraded: " + String.join(", ", r.degradedFactIds()));
    }
  }
}
