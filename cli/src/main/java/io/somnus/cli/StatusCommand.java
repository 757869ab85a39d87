package io.somnus.cli;

import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.Aliases;
import io.somnus.workflows.MemoryLifecycleWorkflow;
import io.somnus.workflows.SleepProgress;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Each section is read on its own, so an unreachable service blanks its line rather than the whole report. */
@Command(name = "status", description = "Live version, the current or last sleep, and sleep pressure.")
final class StatusCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Override
  public void run() {
    SomnusConfig c = root.config();
    try (SomnusServices services = SomnusServices.connect(c)) {
      System.out.println("model      " + c.modelId());
      System.out.println("temporal   " + services.endpoints().temporalTarget() + " (namespace " + services.endpoints().namespace() + ")");
      System.out.println("store      " + services.endpoints().s3().endpoint() + "/" + services.endpoints().s3().bucket());
      section("live", () -> live(services));
      section("sleep", () -> sleep(services.workflowClient(), c.modelId()));
      section("pressure", () -> pressure(services.workflowClient(), c.modelId()));
    }
  }

  private interface Line {
    String read();
  }

  private static void section(String name, Line line) {
    String text;
    try {
      text = line.read();
    } catch (RuntimeException e) {
      text = "unavailable (" + SomnusCli.describe(e) + ")";
    }
    System.out.printf("%-10s %s%n", name, text);
  }

  private static String live(SomnusServices services) {
    Aliases a = services.registry().aliases();
    if (a.live() == null) return "none yet (nothing imported or promoted)";
    return a.live() + " (generation " + a.generation() + ", set " + a.updatedAt() + " by run " + a.updatedByRun() + ")"
        + (a.previous() != null ? "; previous " + a.previous() : "");
  }

  static String sleep(WorkflowClient client, String modelId) {
    WorkflowStub stub = client.newUntypedWorkflowStub(SleepWorkflows.sleepId(modelId), Optional.empty(), Optional.empty());
    WorkflowExecutionStatus status;
    try {
      status = stub.describe().getStatus();
    } catch (WorkflowNotFoundException e) {
      return "no sleep since the Temporal service started";
    }
    if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      SleepProgress p = stub.query("progress", SleepProgress.class);
      return "running, run " + p.runId() + ": step " + p.step() + "/" + p.totalSteps() + " " + p.phase()
          + (p.detail().isBlank() ? "" : " (" + p.detail() + ")");
    }
    return "last sleep " + status.name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase(java.util.Locale.ROOT)
        + " (`somnus runs` for its outcome)";
  }

  private static String pressure(WorkflowClient client, String modelId) {
    MemoryLifecycleWorkflow entity = client.newWorkflowStub(MemoryLifecycleWorkflow.class, SleepWorkflows.lifecycleId(modelId));
    MemoryLifecycleWorkflow.Status s;
    try {
      s = entity.status();
    } catch (WorkflowNotFoundException e) {
      return "no memory-lifecycle entity running for this model";
    }
    return String.format("%.2f (%d facts learned since the last sleep; %d sleeps%s%s)", s.pressure(), s.newFacts(),
        s.sleepsCompleted(), s.sleeping() ? "; sleeping now, run " + s.currentRunId() : "",
        s.sleepQueued() ? "; another sleep queued" : "");
  }
}
