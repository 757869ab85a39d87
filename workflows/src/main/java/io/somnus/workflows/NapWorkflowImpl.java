package io.somnus.workflows;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.StepOptions;
import io.temporal.workflow.Workflow;
import java.util.List;
import java.util.Map;

public class NapWorkflowImpl implements NapWorkflow {
  @Override
  public Result nap(Request request) {
    String runId = request.runId() != null ? request.runId() : RunIds.derive(Workflow.getInfo());
    var heavy = StepOptions.heavy(request.gpuWorkers(), request.timeouts());
    var health = Workflow.newActivityStub(HealthCheckActivity.class, heavy);
    var audit = Workflow.newActivityStub(AuditActivity.class, heavy);
    var report = Workflow.newActivityStub(ReportActivity.class, StepOptions.light(request.timeouts()));

    long startedAt = Workflow.currentTimeMillis();
    String live = health.healthCheck(new HealthCheckActivity.Input(runId, request.modelId())).liveVersionId();
    AuditActivity.Report a = audit.audit(new AuditActivity.Input(runId, live, List.of(), request.recallThreshold()));
    report.report(new ReportActivity.Input(runId, request.modelId(), "nap", "audited", live,
        Map.of("model_id", request.modelId()),
        Map.of("facts_audited", (double) a.audited(), "facts_healthy", (double) a.healthy(),
            "raw_recall", a.meanRawRecall()),
        a.facts(), new ReportActivity.Timing(startedAt, Workflow.currentTimeMillis(), List.of()),
        new ReportActivity.Versions(live, null, null, null, live)));
    return new Result(runId, live, a.audited(), a.healthy(), a.degradedFactIds(), a.meanRawRecall());
  }
}
