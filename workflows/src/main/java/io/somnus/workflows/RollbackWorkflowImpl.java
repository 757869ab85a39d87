package io.somnus.workflows;

import io.somnus.activities.ReportActivity;
import io.somnus.activities.RollbackActivity;
import io.somnus.activities.StepOptions;
import io.temporal.workflow.Workflow;
import java.util.List;
import java.util.Map;

public class RollbackWorkflowImpl implements RollbackWorkflow {
  @Override
  public Result rollback(Request request) {
    String runId = request.runId() != null ? request.runId() : RunIds.derive(Workflow.getInfo());
    var light = StepOptions.light(request.timeouts());
    var rollback = Workflow.newActivityStub(RollbackActivity.class, light);
    var report = Workflow.newActivityStub(ReportActivity.class, light);
    long startedAt = Workflow.currentTimeMillis();
    RollbackActivity.Result r = rollback.rollback(new RollbackActivity.Input(runId, request.targetVersionId(), request.reason()));
    report.report(new ReportActivity.Input(runId, request.modelId(), "rollback", "rolled-back", r.toVersionId(),
        Map.of("model_id", request.modelId(), "from_version", r.fromVersionId(), "to_version", r.toVersionId(),
            "reason", request.reason()),
        Map.of(), List.of(), new ReportActivity.Timing(startedAt, Workflow.currentTimeMillis(), List.of()),
        new ReportActivity.Versions(r.fromVersionId(), null, null, r.toVersionId(), r.toVersionId())));
    return new Result(runId, r.fromVersionId(), r.toVersionId());
  }
}
