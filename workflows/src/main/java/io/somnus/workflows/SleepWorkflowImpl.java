package io.somnus.workflows;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.CurateActivity;
import io.somnus.activities.FactState;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.PromoteActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.StepOptions;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sleep pipeline. Deterministic: every decision reads only the request and activity results, so
 * a replay of a recorded history takes the same branches.
 */
public class SleepWorkflowImpl implements SleepWorkflow {
  static final List<String> STEPS = List.of("HealthCheck", "Curate", "Audit", "NullSpaceRefresh", "TrainLora",
      "FuseToTemp", "Validate", "Promote", "Report");

  private String runId;
  private String phase = "starting";
  private int step;
  private String detail = "";
  private boolean finished;
  private final List<String> completed = new ArrayList<>();

  @Override
  public SleepResult sleep(SleepRequest request) {
    SleepPolicy policy = request.policy();
    runId = request.runId() != null ? request.runId() : RunIds.derive(Workflow.getInfo());
    var heavy = StepOptions.heavy(request.gpuWorkers(), policy.timeouts());
    var light = StepOptions.light(policy.timeouts());
    var health = Workflow.newActivityStub(HealthCheckActivity.class, heavy);
    var curate = Workflow.newActivityStub(CurateActivity.class, light);
    var audit = Workflow.newActivityStub(AuditActivity.class, heavy);
    var refresh = Workflow.newActivityStub(NullSpaceRefreshActivity.class, heavy);
    var train = Workflow.newActivityStub(TrainLoraActivity.class, heavy);
    var fuse = Workflow.newActivityStub(FuseToTempActivity.class, heavy);
    var validate = Workflow.newActivityStub(ValidateActivity.class, heavy);
    var promote = Workflow.newActivityStub(PromoteActivity.class, light);
    var report = Workflow.newActivityStub(ReportActivity.class, light);

    begin("HealthCheck", "reading the live version");
    HealthCheckActivity.Report h = health.healthCheck(new HealthCheckActivity.Input(runId, request.modelId()));
    String live = h.liveVersionId();
    done("HealthCheck");

    begin("Curate", h.unconsolidated() + " of " + h.facts() + " facts not consolidated");
    CurateActivity.Result curated = curate.curate(new CurateActivity.Input(runId, live, policy.maxFacts()));
    done("Curate");

    if (h.facts() == 0) {
      return finishSkipped(report, request, live, h, List.of("the model holds no facts"), List.of());
    }

    begin("Audit", "probing " + h.facts() + " facts");
    AuditActivity.Report audited = audit.audit(new AuditActivity.Input(runId, live, List.of(), policy.recallThreshold()));
    done("Audit");

    if (curated.factIds().isEmpty() && !audited.degraded()) {
      return finishSkipped(report, request, live, h, List.of("nothing to consolidate and no degraded facts"), audited.facts());
    }

    String working = live;
    int refreshed = 0;
    if (audited.degraded()) {
      begin("NullSpaceRefresh", audited.degradedFactIds().size() + " degraded facts");
      NullSpaceRefreshActivity.Result r = refresh.refresh(new NullSpaceRefreshActivity.Input(runId, live, audited.degradedFactIds()));
      working = r.workingVersionId();
      refreshed = r.refreshedFactIds().size();
      done("NullSpaceRefresh");
    }

    List<String> factIds = curated.factIds();
    String candidate = working;
    TrainLoraActivity.Settings lora = policy.lora();
    TrainLoraActivity.Result trained = null;
    ValidateActivity.Result v;
    // A refused candidate is trained again from the same working version at a gentler rate, up to the policy's
    // retries; a sleep with nothing to train (a refresh only) has nothing to retry.
    List<String> refused = new ArrayList<>();
    for (int attempt = 0; ; attempt++) {
      String of = attempt == 0 ? "" : "attempt " + (attempt + 1) + ", learning rate " + lora.learningRate() + ": ";
      if (!factIds.isEmpty()) {
        begin("TrainLora", of + factIds.size() + " facts");
        trained = train.trainLora(new TrainLoraActivity.Input(runId, working, factIds, lora, attempt));
        done("TrainLora");

        begin("FuseToTemp", of + "adapter " + shortKey(trained.adapterKey()));
        candidate = fuse.fuseToTemp(new FuseToTempActivity.Input(runId, working, trained.adapterKey(), attempt)).candidateVersionId();
        done("FuseToTemp");
      }

      begin("Validate", of + "candidate " + candidate);
      v = validate.validate(new ValidateActivity.Input(runId, live, candidate, factIds, policy.thresholds(), attempt));
      done("Validate");
      if (v.approved() || factIds.isEmpty() || attempt >= policy.retriesOnRefusal()) break;
      refused.add(String.join("; ", v.reasons()));
      lora = lora.forRetry();
    }

    String liveAfter = live;
    String outcome;
    if (v.approved()) {
      begin("Promote", v.gatedVersionId());
      liveAfter = promote.promote(new PromoteActivity.Input(runId, v.gatedVersionId(), live)).liveVersionId();
      done("Promote");
      outcome = SleepResult.PROMOTED;
    } else {
      outcome = SleepResult.KEPT_LIVE;
    }

    begin("Report", outcome);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("recall_before", v.recallBefore());
    metrics.put("recall_after", v.recallAfter());
    metrics.put("ppl_before", v.perplexityBefore());
    metrics.put("ppl_after", v.perplexityAfter());
    metrics.put("facts_advanced", (double) v.advanced());
    metrics.put("facts_retreated", (double) v.retreated());
    metrics.put("facts_refreshed", (double) refreshed);
    metrics.put("facts_degraded", (double) audited.degradedFactIds().size());
    metrics.put("edits_kept_scale", (double) v.keptScaleEditIds().size());
    if (trained != null) {
      metrics.put("lora_steps", (double) trained.steps());
      // Out of budget, training may hand back an earlier check's adapters: the candidate is fused from those.
      if (trained.keptStep() != null) metrics.put("lora_kept_step", (double) trained.keptStep());
      metrics.put("lora_loss_first", trained.firstLoss());
      metrics.put("lora_loss_final", trained.finalLoss());
      metrics.put("attempts", (double) refused.size() + 1);
    }
    Map<String, String> params = params(request, live, candidate, factIds.size(), v.limits());
    if (!v.keptScaleEditIds().isEmpty()) params.put("edits_kept_scale", String.join(",", v.keptScaleEditIds()));
    if (!refused.isEmpty()) {
      // The figures above are the last attempt's; say what it trained with and why the ones before it were refused.
      params.put("lora_lr_last_attempt", Float.toString(lora.learningRate()));
      for (int i = 0; i < refused.size(); i++) params.put("attempt_" + (i + 1) + "_refused", refused.get(i));
    }
    report.report(new ReportActivity.Input(runId, request.modelId(), "sleep", outcome, v.gatedVersionId(), params,
        metrics, v.facts()));
    done("Report");
    finished = true;
    phase = outcome;
    return tellLifecycle(request, new SleepResult(runId, outcome, live, liveAfter, v.gatedVersionId(), factIds.size(),
        v.advanced(), v.retreated(), refreshed, v.recallBefore(), v.recallAfter(), v.perplexityBefore(),
        v.perplexityAfter(), v.reasons(), v.keptScaleEditIds()));
  }

  /**
   * A sleep started by hand tells the model's lifecycle entity, so that its sleep pressure and status
   * follow; a sleep the entity started is its child and needs no signal. Versioned: histories recorded
   * before this step existed replay without it.
   */
  private static SleepResult tellLifecycle(SleepRequest request, SleepResult result) {
    if (Workflow.getVersion("tell-lifecycle", Workflow.DEFAULT_VERSION, 1) == Workflow.DEFAULT_VERSION) return result;
    String entity = SleepWorkflows.lifecycleId(request.modelId());
    if (Workflow.getInfo().getParentWorkflowId().filter(entity::equals).isPresent()) return result;
    try {
      Workflow.newExternalWorkflowStub(MemoryLifecycleWorkflow.class, entity).sleepFinished(result);
    } catch (SignalExternalWorkflowException | ApplicationFailure e) {
      // NOT_FOUND: no lifecycle entity runs for this model, its sleeps are all started by hand
      if (e instanceof ApplicationFailure f && !f.getType().endsWith("EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND")) throw f;
    }
    return result;
  }

  private SleepResult finishSkipped(ReportActivity report, SleepRequest request, String live,
      HealthCheckActivity.Report h, List<String> reasons, List<FactState> facts) {
    begin("Report", SleepResult.SKIPPED);
    report.report(new ReportActivity.Input(runId, request.modelId(), "sleep", SleepResult.SKIPPED, live,
        params(request, live, null, 0, Map.of()), Map.of("ppl_before", h.referencePerplexity()), facts));
    done("Report");
    finished = true;
    phase = SleepResult.SKIPPED;
    return tellLifecycle(request, new SleepResult(runId, SleepResult.SKIPPED, live, live, null, 0, 0, 0, 0, Double.NaN,
        Double.NaN, h.referencePerplexity(), h.referencePerplexity(), reasons, List.of()));
  }

  /**
   * The run's inputs as tracking parameters: every knob of the policy that can change what a sleep does, and the
   * validating worker's own bounds ({@code limits}, which apply as well as the policy's thresholds), so that a run
   * audited in the tracking store alone shows how it was trained and judged.
   */
  private static Map<String, String> params(SleepRequest request, String live, String candidate, int facts,
      Map<String, String> limits) {
    SleepPolicy policy = request.policy();
    TrainLoraActivity.Settings lora = policy.lora();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("model_id", request.modelId());
    p.put("live_before", live);
    if (candidate != null) p.put("candidate", candidate);
    p.put("facts_considered", Integer.toString(facts));
    p.put("gpu_workers", Boolean.toString(request.gpuWorkers()));
    p.put("max_facts", Integer.toString(policy.maxFacts()));
    p.put("recall_threshold", Double.toString(policy.recallThreshold()));
    p.put("lora_rank", Integer.toString(lora.rank()));
    p.put("lora_alpha", Float.toString(lora.alpha()));
    p.put("lora_lr", Float.toString(lora.learningRate()));
    p.put("lora_steps_per_fact", Integer.toString(lora.stepsPerFact()));
    p.put("lora_min_steps", Integer.toString(lora.minSteps()));
    p.put("lora_max_steps", lora.maxSteps() == Integer.MAX_VALUE ? "unbounded" : Integer.toString(lora.maxSteps()));
    p.put("lora_seed", Long.toString(lora.seed()));
    p.put("max_perplexity_increase", Double.toString(policy.thresholds().maxPerplexityIncrease()));
    p.put("max_recall_drop", Double.toString(policy.thresholds().maxRecallDrop()));
    p.put("retries_on_refusal", Integer.toString(policy.retriesOnRefusal()));
    p.putAll(limits);
    return p;
  }

  private static String shortKey(String key) {
    return key.length() > 19 ? key.substring(0, 19) : key;
  }

  private void begin(String stepName, String what) {
    phase = stepName;
    step = STEPS.indexOf(stepName) + 1;
    detail = what;
  }

  private void done(String stepName) {
    completed.add(stepName);
  }

  @Override
  public SleepProgress progress() {
    return new SleepProgress(runId, phase, step, STEPS.size(), completed, detail, finished);
  }
}
