package io.somnus.workflows;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.CurateActivity;
import io.somnus.activities.FactState;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.PromoteActivity;
import io.somnus.activities.RebaseActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.StepOptions;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import io.somnus.store.StepTiming;
import io.somnus.workflows.SleepTelemetry.Attempt;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sleep pipeline. Deterministic: every decision reads only the request and activity results, so a replay of a
 * recorded history takes the same branches. Every sleep ends in a Report, whatever its outcome, failures included.
 */
public class SleepWorkflowImpl implements SleepWorkflow {
  /** Times a sleep carries facts taught meanwhile onto its candidate before it gives up on a live that keeps moving. */
  static final int MAX_REBASES = 5;

  private String runId;
  private SleepStep step = SleepStep.HEALTH_CHECK;
  private String phase = "starting";
  private String detail = "";
  private boolean finished;
  private final List<String> completed = new ArrayList<>();

  /** What the sleep has found out so far: what its report says if it breaks off. */
  private String liveBefore;
  private double perplexityBefore = Double.NaN;

  /** Each step's start and end on the workflow's clock, for the tracked run (replays see the same times). */
  private final List<StepTiming> timings = new ArrayList<>();
  private long startedAt;
  private long stepStartedAt;
  private int attempt;
  /** The attempt (or promotion round) of the step under way. */
  private int stepAttempt;
  /** The candidate FuseToTemp made for the last training attempt (before the gate). */
  private String lastTrainedVersion;

  @Override
  public SleepResult sleep(SleepRequest request) {
    runId = request.runId() != null ? request.runId() : RunIds.derive(Workflow.getInfo());
    startedAt = Workflow.currentTimeMillis();
    stepStartedAt = startedAt;
    Steps steps = new Steps(request);
    try {
      return tellLifecycle(request, run(request, steps));
    } catch (ActivityFailure failure) {
      String reason = step.title() + " failed: " + rootMessage(failure);
      SleepResult failed = reportFailure(request, steps, reason);
      tellLifecycle(request, failed);
      throw ApplicationFailure.newNonRetryableFailureWithCause(reason + "; live unchanged", "SleepFailed", failure);
    }
  }

  private SleepResult run(SleepRequest request, Steps steps) {
    SleepPolicy policy = request.policy();
    begin(SleepStep.HEALTH_CHECK, "reading the live version");
    HealthCheckActivity.Report health = steps.health.healthCheck(new HealthCheckActivity.Input(runId, request.modelId(),
        request.toJson(), new HealthCheckActivity.RunStart("sleep", startedAt, SleepTelemetry.policy(request))));
    String live = health.liveVersionId();
    liveBefore = live;
    perplexityBefore = health.referencePerplexity();

    begin(SleepStep.CURATE, health.unconsolidated() + " of " + health.facts() + " facts not consolidated");
    CurateActivity.Result curated = steps.curate.curate(new CurateActivity.Input(runId, live, policy.maxFacts()));
    if (health.facts() == 0) return finishSkipped(request, steps, "the model holds no facts", List.of());

    begin(SleepStep.AUDIT, "probing " + health.facts() + " facts");
    AuditActivity.Report audit = steps.audit.audit(new AuditActivity.Input(runId, live, List.of(), policy.recallThreshold()));
    if (curated.factIds().isEmpty() && !audit.degraded()) {
      return finishSkipped(request, steps, "nothing to consolidate and no degraded facts", audit.facts());
    }

    String working = live;
    int refreshed = 0;
    if (audit.degraded()) {
      begin(SleepStep.NULL_SPACE_REFRESH, audit.degradedFactIds().size() + " degraded facts");
      NullSpaceRefreshActivity.Result refresh = steps.refresh.refresh(
          new NullSpaceRefreshActivity.Input(runId, live, audit.degradedFactIds()));
      working = refresh.workingVersionId();
      refreshed = refresh.refreshedFactIds().size();
    }

    List<String> factIds = curated.factIds();
    List<Attempt> attempts = new ArrayList<>();
    ValidateActivity.Result verdict = trainAndValidate(steps, policy, live, working, factIds, attempts);

    List<String> reasons = new ArrayList<>();
    for (Attempt a : attempts) if (a.refusedFor() != null) reasons.add(a.refusedFor());
    SleepOutcome outcome = SleepOutcome.KEPT_LIVE;
    String liveAfter = live;
    List<FactState> facts = List.of();
    int carried = 0;
    String rebasedOver = null;
    if (verdict.approved()) {
      reasons.clear();
      Promotion promotion = promote(steps, live, verdict);
      outcome = promotion.outcome();
      if (outcome == SleepOutcome.PROMOTED) {
        liveAfter = promotion.version();
        facts = promotion.facts();
        carried = promotion.carried();
        rebasedOver = promotion.rebasedOver();
      } else {
        reasons.add(promotion.reason());
      }
    }

    begin(SleepStep.REPORT, outcome.wireName());
    Attempt last = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
    Map<String, String> params = new java.util.LinkedHashMap<>(SleepTelemetry.params(request, factIds.size(), attempts,
        verdict, reasons));
    if (rebasedOver != null) params.put("rebased_over", rebasedOver); // the wake writes its promotion carried
    String trained = attempts.isEmpty() || last.trained() == null ? null : lastTrainedVersion;
    ReportActivity.Versions versions = new ReportActivity.Versions(live, trained, verdict.gatedVersionId(),
        outcome == SleepOutcome.PROMOTED ? liveAfter : null, liveAfter);
    steps.report.report(new ReportActivity.Input(runId, request.modelId(), "sleep", outcome.wireName(),
        outcome == SleepOutcome.PROMOTED ? liveAfter : live, params,
        SleepTelemetry.metrics(outcome, health.referencePerplexity(), verdict, last == null ? null : last.trained(), attempts.size(),
            audit.degradedFactIds().size(), refreshed, carried),
        facts, timing(), versions));
    finish(outcome);
    return new SleepResult(runId, outcome, new SleepResult.Versions(live, liveAfter, verdict.gatedVersionId()),
        new SleepResult.FactCounts(factIds.size(), verdict.advanced(), verdict.retreated(), refreshed, carried),
        new SleepResult.Quality(verdict.recallBefore(), verdict.recallAfter(), verdict.perplexityBefore(), verdict.perplexityAfter()),
        reasons, verdict.keptScaleEditIds());
  }

  /**
   * Trains, fuses and validates; a refused candidate is trained again from the same working version with other
   * settings ({@link TrainLoraActivity.Settings#forRetry}), up to the policy's retries. A retry whose training hands
   * back adapters a refused attempt already had would only reproduce that candidate, so the sleep stops there. A sleep
   * with nothing to train (a refresh only) validates the working version once.
   */
  private ValidateActivity.Result trainAndValidate(Steps steps, SleepPolicy policy, String live, String working,
      List<String> factIds, List<Attempt> attempts) {
    TrainLoraActivity.Settings lora = policy.lora().forRun(runId);
    List<String> refusedAdapters = new ArrayList<>();
    ValidateActivity.Result verdict = null;
    for (int attempt = 0; ; attempt++) {
      this.attempt = attempt;
      String which = attempt == 0 ? "" : "attempt " + (attempt + 1) + " (lr " + lora.learningRate() + ", seed " + lora.seed() + "): ";
      String candidate = working;
      TrainLoraActivity.Result trained = null;
      if (!factIds.isEmpty()) {
        begin(SleepStep.TRAIN_LORA, which + factIds.size() + " facts");
        trained = steps.train.trainLora(new TrainLoraActivity.Input(runId, working, factIds, lora, attempt));
        if (refusedAdapters.contains(trained.adapterKey())) {
          // the verdict of the attempt that trained them stands; nothing new to judge
          attempts.add(new Attempt(lora, trained, "attempt " + (attempt + 1) + " trained the same adapters as a refused attempt"));
          return verdict;
        }
        begin(SleepStep.FUSE_TO_TEMP, which + "adapter " + shortKey(trained.adapterKey()));
        candidate = steps.fuse.fuseToTemp(new FuseToTempActivity.Input(runId, working, trained.adapterKey(), attempt)).candidateVersionId();
        lastTrainedVersion = candidate;
      }
      begin(SleepStep.VALIDATE, which + "candidate " + candidate);
      verdict = steps.validate.validate(new ValidateActivity.Input(runId, live, candidate, factIds, policy.thresholds(), attempt));
      boolean last = verdict.approved() || factIds.isEmpty() || attempt >= policy.retriesOnRefusal();
      attempts.add(new Attempt(lora, trained, verdict.approved() ? null : String.join("; ", verdict.reasons())));
      if (last) return verdict;
      if (trained != null) refusedAdapters.add(trained.adapterKey());
      lora = lora.forRetry();
    }
  }

  /** What promotion came to: the version made live and its facts, or why the candidate was not promoted. */
  /** @param rebasedOver the wake-written live version the candidate was carried onto, null when live had not moved */
  private record Promotion(SleepOutcome outcome, String version, List<FactState> facts, int carried, String reason,
      String rebasedOver) {}

  /**
   * Moves live to the approved candidate. When facts were taught while the sleep ran, their edits are carried onto
   * the candidate first ({@link RebaseActivity}) and the result promoted over the live version that holds them; when
   * live moved by another promotion or a rollback, the sleep is superseded.
   */
  private Promotion promote(Steps steps, String live, ValidateActivity.Result verdict) {
    String candidate = verdict.gatedVersionId();
    String expectedLive = live;
    List<FactState> facts = verdict.facts();
    int carried = 0;
    for (int round = 0; ; round++) {
      attempt = round;
      begin(SleepStep.PROMOTE, candidate);
      PromoteActivity.Result promoted = steps.promote.promote(new PromoteActivity.Input(runId, candidate, expectedLive));
      if (promoted.promoted()) return new Promotion(SleepOutcome.PROMOTED, candidate, facts, carried, null, round == 0 ? null : expectedLive);
      if (promoted.status() == PromoteActivity.Status.SUPERSEDED) {
        return new Promotion(SleepOutcome.SUPERSEDED, null, List.of(), 0, promoted.reason(), null);
      }
      if (round >= MAX_REBASES) {
        return new Promotion(SleepOutcome.SUPERSEDED, null, List.of(), 0, promoted.reason() + "; still moving after "
            + MAX_REBASES + " rebases", null);
      }
      begin(SleepStep.PROMOTE, "carrying facts taught meanwhile onto the candidate (live is " + promoted.liveVersionId() + ")");
      RebaseActivity.Result rebased;
      try {
        rebased = steps.rebase.rebase(new RebaseActivity.Input(runId, live, verdict.gatedVersionId(), promoted.liveVersionId(), round));
      } catch (ActivityFailure failure) {
        return new Promotion(SleepOutcome.SUPERSEDED, null, List.of(), 0, promoted.reason()
            + "; the facts taught meanwhile could not be carried onto the candidate: " + rootMessage(failure), null);
      }
      candidate = rebased.rebasedVersionId();
      expectedLive = promoted.liveVersionId();
      facts = rebased.facts();
      carried = rebased.carriedFactIds().size();
    }
  }

  private SleepResult finishSkipped(SleepRequest request, Steps steps, String reason, List<FactState> facts) {
    begin(SleepStep.REPORT, SleepOutcome.SKIPPED.wireName());
    steps.report.report(new ReportActivity.Input(runId, request.modelId(), "sleep", SleepOutcome.SKIPPED.wireName(), liveBefore,
        SleepTelemetry.params(request, 0, List.of(), null, List.of(reason)), Map.of("ppl_before", perplexityBefore), facts,
        timing(), new ReportActivity.Versions(liveBefore, null, null, null, liveBefore)));
    finish(SleepOutcome.SKIPPED);
    return new SleepResult(runId, SleepOutcome.SKIPPED, new SleepResult.Versions(liveBefore, liveBefore, null),
        new SleepResult.FactCounts(0, 0, 0, 0, 0),
        new SleepResult.Quality(Double.NaN, Double.NaN, perplexityBefore, perplexityBefore), List.of(reason), List.of());
  }

  /** Records a sleep that broke off: a failed tracked run with the step and its reason; live was not touched. */
  private SleepResult reportFailure(SleepRequest request, Steps steps, String reason) {
    String failedStep = step.title();
    begin(SleepStep.REPORT, SleepOutcome.FAILED.wireName());
    Map<String, String> params = new java.util.LinkedHashMap<>(SleepTelemetry.params(request, 0, List.of(), null, List.of(reason)));
    params.put("failed_step", failedStep);
    steps.report.report(new ReportActivity.Input(runId, request.modelId(), "sleep", SleepOutcome.FAILED.wireName(), liveBefore,
        params, Double.isNaN(perplexityBefore) ? Map.of() : Map.of("ppl_before", perplexityBefore), List.of(), timing(),
        new ReportActivity.Versions(liveBefore, null, null, null, liveBefore)));
    finish(SleepOutcome.FAILED);
    return new SleepResult(runId, SleepOutcome.FAILED, new SleepResult.Versions(liveBefore, liveBefore, null),
        new SleepResult.FactCounts(0, 0, 0, 0, 0), new SleepResult.Quality(Double.NaN, Double.NaN, perplexityBefore, Double.NaN),
        List.of(reason), List.of());
  }

  /**
   * A sleep started by hand tells the model's lifecycle entity, so that its sleep pressure and status follow; a sleep
   * the entity started is its child and needs no signal. Versioned: histories recorded before this step replay without it.
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

  /** The activity stubs of one sleep, with the request's timeouts and queues. */
  private static final class Steps {
    final HealthCheckActivity health;
    final CurateActivity curate;
    final AuditActivity audit;
    final NullSpaceRefreshActivity refresh;
    final TrainLoraActivity train;
    final FuseToTempActivity fuse;
    final ValidateActivity validate;
    final RebaseActivity rebase;
    final PromoteActivity promote;
    final ReportActivity report;

    Steps(SleepRequest request) {
      var heavy = StepOptions.heavy(request.gpuWorkers(), request.policy().timeouts());
      var light = StepOptions.light(request.policy().timeouts());
      health = Workflow.newActivityStub(HealthCheckActivity.class, heavy);
      curate = Workflow.newActivityStub(CurateActivity.class, light);
      audit = Workflow.newActivityStub(AuditActivity.class, heavy);
      refresh = Workflow.newActivityStub(NullSpaceRefreshActivity.class, heavy);
      train = Workflow.newActivityStub(TrainLoraActivity.class, heavy);
      fuse = Workflow.newActivityStub(FuseToTempActivity.class, heavy);
      validate = Workflow.newActivityStub(ValidateActivity.class, heavy);
      rebase = Workflow.newActivityStub(RebaseActivity.class, heavy);
      promote = Workflow.newActivityStub(PromoteActivity.class, light);
      report = Workflow.newActivityStub(ReportActivity.class, light);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String message = c instanceof ApplicationFailure f ? f.getOriginalMessage() : c.getMessage();
    return message == null ? c.getClass().getSimpleName() : message;
  }

  private static String shortKey(String key) {
    return key.length() > 19 ? key.substring(0, 19) : key;
  }

  private void begin(SleepStep next, String what) {
    if (next != step && step != null && !completed.contains(step.title())) completed.add(step.title());
    if (next != step) {
      endStep();
      stepAttempt = attempt;
    }
    step = next;
    phase = next.title();
    detail = what;
  }

  /** Closes the timing of the step under way. */
  private void endStep() {
    long now = Workflow.currentTimeMillis();
    if (step != null && now >= stepStartedAt) {
      timings.add(new StepTiming(step.title(), stepAttempt,
          java.time.Instant.ofEpochMilli(stepStartedAt), java.time.Instant.ofEpochMilli(now)));
    }
    stepStartedAt = now;
  }

  /** The run's timing up to now: the Report step is the last, timed to its own start. */
  private ReportActivity.Timing timing() {
    endStep();
    return new ReportActivity.Timing(startedAt, Workflow.currentTimeMillis(), timings);
  }

  private void finish(SleepOutcome outcome) {
    completed.add(SleepStep.REPORT.title());
    finished = true;
    phase = outcome.wireName();
    detail = "";
  }

  @Override
  public SleepProgress progress() {
    return new SleepProgress(runId, phase, step.number(), SleepStep.count(), completed, detail, finished);
  }
}
