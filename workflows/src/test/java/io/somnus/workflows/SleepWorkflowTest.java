package io.somnus.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.StepQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.somnus.activities.ReportActivity;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactory;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SleepWorkflowTest {
  private TestWorkflowEnvironment env;
  private WorkflowClient client;

  private FakeSteps start(FakeSteps steps, boolean gpuWorker) {
    env = TestWorkflowEnvironment.newInstance();
    client = env.getWorkflowClient();
    WorkerFactory factory = env.getWorkerFactory();
    WorkerSetup.register(factory, StepQueues.CPU, steps.implementations(), !gpuWorker);
    if (gpuWorker) WorkerSetup.register(factory, StepQueues.GPU, steps.implementations(), false);
    env.start();
    return steps;
  }

  @AfterEach
  void close() {
    if (env != null) env.close();
  }

  private SleepResult sleep(boolean gpu) {
    WorkflowStub stub = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-1", gpu, TestTimeouts.policy()));
    return stub.getResult(SleepResult.class);
  }

  @Test
  void happyPathTrainsFusesValidatesAndPromotes() {
    FakeSteps steps = start(new FakeSteps(3, 1), false);
    SleepResult r = sleep(false);

    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals("mv-base", r.versions().liveBefore());
    assertEquals("mv-cand-run-1-gated", r.versions().liveAfter());
    assertEquals(r.versions().liveAfter(), steps.live);
    assertEquals(3, r.facts().considered());
    assertEquals(3, r.facts().advanced());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "Promote", "Report"), steps.calls);
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.PROMOTED);
    assertEquals(4, steps.reports.get(0).facts().size());
    assertEquals("run-1", steps.reports.get(0).runId());
    // the tracked run shows how it was trained and judged, not only the rank and the learning rate
    var params = steps.reports.get(0).params();
    var lora = TestTimeouts.policy().lora();
    assertEquals(Integer.toString(lora.maxSteps()), params.get("lora_max_steps"));
    assertEquals(Integer.toString(lora.minSteps()), params.get("lora_min_steps"));
    assertEquals(Integer.toString(lora.stepsPerFact()), params.get("lora_steps_per_fact"));
    assertEquals(Long.toString(lora.seed()), params.get("lora_seed"));
    assertEquals(Double.toString(TestTimeouts.policy().thresholds().maxPerplexityIncrease()),
        params.get("max_perplexity_increase"));
    // and the bounds the validating worker applied on top of the request's thresholds
    assertEquals("0.02", params.get("validation_max_perplexity_drift"));
    var metrics = steps.reports.get(0).metrics();
    assertEquals(30.0, metrics.get("lora_steps"));
    assertEquals(20.0, metrics.get("lora_kept_step"), "the step whose adapters the candidate was fused from");
    assertEquals(2.0, metrics.get("lora_loss_first"));
    assertEquals(0.1, metrics.get("lora_loss_final"));
    assertEquals(1.0, metrics.get("attempts"));
    assertFalse(params.containsKey("attempt_2_lora"), "one attempt: lora_lr is what it trained with");
    var versions = steps.reports.get(0).versions();
    assertEquals("mv-base", versions.liveBefore());
    assertEquals("mv-cand-run-1", versions.trained(), "the candidate fused from the adapters");
    assertEquals("mv-cand-run-1-gated", versions.gated(), "the candidate validation judged");
    assertEquals("mv-cand-run-1-gated", versions.promoted());
    assertEquals("mv-cand-run-1-gated", versions.liveAfter());
    // the run is timed by the workflow from its start, step by step, not at the report
    var timing = steps.reports.get(0).timing();
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "Promote", "Report"),
        timing.steps().stream().map(io.somnus.store.StepTiming::step).toList());
    assertTrue(timing.startedAtMillis() <= timing.steps().get(0).started().toEpochMilli());
    assertTrue(timing.endedAtMillis() >= timing.steps().get(timing.steps().size() - 1).ended().toEpochMilli());
    assertEquals(0.95, metrics.get("recall_after"));
    assertEquals(0.0, metrics.get("edits_kept_scale"));
    assertFalse(params.containsKey("edits_kept_scale"));
    assertEquals(List.of(), r.keptScaleEditIds());

    SleepProgress p = client.newWorkflowStub(SleepWorkflow.class, SleepWorkflows.sleepId("m1")).progress();
    assertTrue(p.finished());
    assertEquals("run-1", p.runId());
    assertEquals(steps.calls, p.completed());
  }

  @Test
  void editsTheGateKeptAtTheirScaleAreInTheResultAndTheTrackedRun() {
    FakeSteps steps = new FakeSteps(3, 1);
    steps.keptScale = List.of("edit-a", "edit-b");
    start(steps, false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals(List.of("edit-a", "edit-b"), r.keptScaleEditIds());
    assertEquals("edit-a,edit-b", steps.reports.get(0).params().get("edits_kept_scale"));
    assertEquals(2.0, steps.reports.get(0).metrics().get("edits_kept_scale"));
  }

  @Test
  void nothingToConsolidateSkipsTheHeavySteps() {
    FakeSteps steps = start(new FakeSteps(0, 2), false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.SKIPPED, r.outcome());
    assertEquals("mv-base", steps.live);
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "Report"), steps.calls);
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.SKIPPED);
    assertEquals(Integer.toString(TestTimeouts.policy().maxFacts()), steps.reports.get(0).params().get("max_facts"));
    assertFalse(steps.reports.get(0).metrics().containsKey("lora_steps"), "nothing was trained");
  }

  @Test
  void degradedFactsAreRefreshedBeforeTraining() {
    FakeSteps steps = new FakeSteps(2, 0);
    steps.degraded = List.of("f1");
    start(steps, false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals(1, r.facts().refreshed());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "NullSpaceRefresh", "TrainLora", "FuseToTemp", "Validate", "Promote", "Report"), steps.calls);
    // the candidate was fused from the refreshed working version, not from live
    assertTrue(steps.versions.containsKey("mv-base+refresh"));
  }

  @Test
  void failedValidationKeepsLive() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.approve = false;
    start(steps, false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.KEPT_LIVE, r.outcome());
    assertEquals("mv-base", r.versions().liveAfter());
    assertEquals("mv-base", steps.live);
    assertFalse(steps.calls.contains("Promote"));
    assertEquals(List.of("perplexity rose 140%", "perplexity rose 140%"), r.reasons(), "each refused attempt's reason");
    // the policy's one retry was refused as well
    assertEquals(List.of(0, 1), steps.trainedAttempts);
    assertEquals("mv-cand-run-1-attempt-2-gated", r.versions().validated());
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.KEPT_LIVE);
    assertEquals(2.0, steps.reports.get(0).metrics().get("attempts"));
    assertEquals("perplexity rose 140%", steps.reports.get(0).params().get("attempt_1_refused"));
    var metrics = steps.reports.get(0).metrics();
    assertFalse(metrics.containsKey("recall_after"), "live did not change: no 'after' figure from a refused candidate");
    assertEquals(0.4, metrics.get("candidate_recall"));
    assertEquals("mv-base", steps.reports.get(0).modelVersion(), "the run left the live version as it was");
    assertTrue(steps.reports.get(0).facts().isEmpty(), "a refused sleep moves no fact in the ledger");
  }

  @Test
  void aRefusedCandidateIsTrainedAgainAtHalfTheRateAndTheRetryIsPromoted() {
    FakeSteps steps = new FakeSteps(3, 1);
    steps.refusalsBeforeApproval = 1;
    start(steps, false);
    SleepResult r = sleep(false);

    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "TrainLora", "FuseToTemp",
        "Validate", "Promote", "Report"), steps.calls);
    float lr = TestTimeouts.policy().lora().learningRate();
    assertEquals(List.of(lr, lr / 2), steps.learningRates);
    assertEquals(2, steps.trainedFromScratch.get(), "the retry trained its own adapter, it did not reuse the refused one");
    // the second candidate, not the refused first, went live
    assertEquals("mv-cand-run-1-attempt-2-gated", r.versions().liveAfter());
    assertEquals(r.versions().liveAfter(), steps.live);
    assertEquals(List.of(), r.reasons());
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.PROMOTED);
    var report = steps.reports.get(0);
    assertEquals(2.0, report.metrics().get("attempts"));
    assertEquals("perplexity rose 140%", report.params().get("attempt_1_refused"));
    assertEquals(Float.toString(lr), report.params().get("lora_lr"));
    long seed = TestTimeouts.policy().lora().forRun("run-1").seed();
    assertEquals(Long.toString(seed), report.params().get("lora_seed_of_run"), "each sleep draws its own seed from its run id");
    assertEquals("lr " + lr / 2 + ", seed " + (seed + 1), report.params().get("attempt_2_lora"), "the tracked run says how the retry differs");
    assertEquals("1", report.params().get("retries_on_refusal"));
  }

  @Test
  void withoutRetriesTheFirstRefusalKeepsLive() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.refusalsBeforeApproval = 1;
    start(steps, false);
    SleepPolicy p = TestTimeouts.policy();
    SleepPolicy noRetry = new SleepPolicy(p.maxFacts(), p.recallThreshold(), p.lora(), p.thresholds(), p.timeouts(), 0);
    SleepResult r = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-1", false, noRetry)).getResult(SleepResult.class);
    assertEquals(SleepOutcome.KEPT_LIVE, r.outcome());
    assertEquals(List.of(0), steps.trainedAttempts);
    assertEquals(1.0, steps.reports.get(0).metrics().get("attempts"));
    assertEquals("perplexity rose 140%", steps.reports.get(0).params().get("attempt_1_refused"));
    assertFalse(steps.reports.get(0).params().containsKey("attempt_2_lora"), "no retry");
  }

  @Test
  void transientTrainingFailureIsRetriedThenSucceeds() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.trainFailuresBeforeSuccess = 2;
    start(steps, false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals(3, steps.trainAttempts.get());
    assertEquals(1, steps.trainedFromScratch.get());
  }

  @Test
  void aDivergedTrainingIsNotRunAgainByTemporalAndTheSleepFailsWithItsReason() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.trainDiverges = true;
    start(steps, false);
    WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> sleep(false));
    ApplicationFailure failed = assertInstanceOf(ApplicationFailure.class, e.getCause());
    assertTrue(failed.getOriginalMessage().contains("LoRA answer loss (simulated) at step 28"), failed.getOriginalMessage());
    assertEquals(1, steps.trainAttempts.get(), "seeded by its run id, a second run diverges the same way");
    assertEquals("mv-base", steps.live);
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.FAILED);
  }

  @Test
  void badInputIsNotRetriedAndTheFailedSleepIsReportedWithItsStepAndReason() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.trainBadInput = true;
    start(steps, false);
    WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> sleep(false));
    ApplicationFailure failed = assertInstanceOf(ApplicationFailure.class, e.getCause());
    assertTrue(failed.getOriginalMessage().startsWith("TrainLora failed: fact ids not in version mv-base"), failed.getOriginalMessage());
    ActivityFailure af = assertInstanceOf(ActivityFailure.class, failed.getCause());
    assertEquals(BadStepInputException.class.getName(), ((ApplicationFailure) af.getCause()).getType());
    assertEquals(1, steps.trainAttempts.get());
    assertEquals("mv-base", steps.live);
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.FAILED);
    ReportActivity.Input report = steps.reports.get(0);
    assertEquals("TrainLora", report.params().get("failed_step"));
    assertTrue(report.params().get("reason").contains("fact ids not in version mv-base"), report.params().toString());
    assertEquals("mv-base", report.modelVersion());
  }

  @Test
  void aFactTaughtDuringTheSleepIsCarriedOntoTheCandidateAndPromoted() throws Exception {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.trainGate = new CountDownLatch(1);
    start(steps, false);
    WorkflowStub sleep = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-1", false, TestTimeouts.policy()));
    assertTrue(steps.trainStarted.await(30, TimeUnit.SECONDS));
    steps.teach("new1");
    steps.trainGate.countDown();
    SleepResult r = sleep.getResult(SleepResult.class);

    assertEquals(SleepOutcome.PROMOTED, r.outcome());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "Promote", "Rebase",
        "Promote", "Report"), steps.calls);
    assertEquals(1, steps.rebases.size());
    assertEquals("mv-base", steps.rebases.get(0).baseVersionId());
    assertEquals("mv-base+new1", steps.rebases.get(0).liveVersionId());
    assertEquals("mv-cand-run-1-gated-onto-mv-base+new1", r.versions().liveAfter());
    assertEquals(r.versions().liveAfter(), steps.live);
    assertEquals(1, r.facts().carried());
    assertTrue(steps.versions.get(steps.live).stream().anyMatch(f -> f.factId().equals("new1")), "the fact taught is live");
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.PROMOTED);
    assertTrue(steps.reports.get(0).facts().stream().anyMatch(f -> f.factId().equals("new1")), "and in the run's ledger snapshot");
    assertEquals(1.0, steps.reports.get(0).metrics().get("facts_carried"));
    assertEquals("mv-base+new1", steps.reports.get(0).params().get("rebased_over"), "lineage says which wake writes it carried");
  }

  @Test
  void aSleepWhoseLiveWasMovedByARollbackIsSupersededAndSaysSo() throws Exception {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.versions.put("mv-older", List.of());
    steps.trainGate = new CountDownLatch(1);
    start(steps, false);
    WorkflowStub sleep = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-1", false, TestTimeouts.policy()));
    assertTrue(steps.trainStarted.await(30, TimeUnit.SECONDS));
    steps.live = "mv-older";
    steps.trainGate.countDown();
    SleepResult r = sleep.getResult(SleepResult.class);

    assertEquals(SleepOutcome.SUPERSEDED, r.outcome());
    assertEquals("mv-older", steps.live, "the rollback stands");
    assertFalse(steps.calls.contains("Rebase"));
    assertTrue(r.reasons().get(0).contains("by another promotion or a rollback"), r.reasons().toString());
    ReportActivityAssert.single(steps, "sleep", SleepOutcome.SUPERSEDED);
    assertTrue(steps.reports.get(0).params().get("reason").contains("mv-older"));
  }

  @Test
  void aRetryThatTrainsTheRefusedAdaptersAgainIsNotValidatedAgain() {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.approve = false;
    steps.sameAdapterEveryAttempt = true;
    start(steps, false);
    SleepResult r = sleep(false);
    assertEquals(SleepOutcome.KEPT_LIVE, r.outcome());
    assertEquals(List.of("HealthCheck", "Curate", "Audit", "TrainLora", "FuseToTemp", "Validate", "TrainLora", "Report"), steps.calls);
    assertTrue(r.reasons().get(1).contains("same adapters as a refused attempt"), r.reasons().toString());
  }

  @Test
  void heavyStepsGoToTheGpuQueueWhenGpuWorkersAreConfigured() {
    FakeSteps steps = start(new FakeSteps(2, 0), true);
    assertEquals(SleepOutcome.PROMOTED, sleep(true).outcome());
    for (String heavy : List.of("HealthCheck", "Audit", "TrainLora", "FuseToTemp", "Validate")) {
      assertEquals(StepQueues.GPU, steps.queueOfStep.get(heavy), heavy);
    }
    for (String light : List.of("Curate", "Promote", "Report")) {
      assertEquals(StepQueues.CPU, steps.queueOfStep.get(light), light);
    }
  }

  @Test
  void aSecondSleepOfTheSameModelIsRejectedWhileOneRuns() throws Exception {
    FakeSteps steps = new FakeSteps(3, 0);
    steps.trainGate = new CountDownLatch(1);
    start(steps, false);
    WorkflowStub first = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-1", false, TestTimeouts.policy()));
    assertTrue(steps.trainStarted.await(30, TimeUnit.SECONDS));
    SleepProgress during = client.newWorkflowStub(SleepWorkflow.class, SleepWorkflows.sleepId("m1")).progress();
    assertEquals("TrainLora", during.phase());
    assertEquals(5, during.step());
    assertFalse(during.finished());

    assertThrows(WorkflowExecutionAlreadyStarted.class,
        () -> SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-2", false, TestTimeouts.policy())));
    // another model is not affected
    steps.trainGate.countDown();
    assertEquals(SleepOutcome.PROMOTED, first.getResult(SleepResult.class).outcome());
    assertEquals(1, steps.trainedFromScratch.get());

    // once the first has finished, the next sleep of the model may start
    SleepResult second = SleepWorkflows.startSleep(client, new SleepRequest("m1", "run-2", false, TestTimeouts.policy()))
        .getResult(SleepResult.class);
    assertEquals("run-2", second.runId());
  }

  @Test
  void rollbackMovesLiveToTheChosenVersionAndIsReported() {
    FakeSteps steps = start(new FakeSteps(2, 0), false);
    SleepResult slept = sleep(false);
    assertEquals(slept.versions().liveAfter(), steps.live);

    RollbackWorkflow.Result r = SleepWorkflows.rollback(client,
        new RollbackWorkflow.Request("m1", "rb-1", "mv-base", "bad answers", TestTimeouts.fast()));
    assertEquals(slept.versions().liveAfter(), r.fromVersionId());
    assertEquals("mv-base", r.toVersionId());
    assertEquals("mv-base", steps.live);
    ReportActivity.Input rep = steps.reports.get(steps.reports.size() - 1);
    assertEquals("rollback", rep.kind());
    assertEquals("rb-1", rep.runId());
    assertEquals(slept.versions().liveAfter(), rep.params().get("from_version"));

    WorkflowFailedException bad = assertThrows(WorkflowFailedException.class, () -> SleepWorkflows.rollback(client,
        new RollbackWorkflow.Request("m1", "rb-2", "mv-nope", "", TestTimeouts.fast())));
    assertInstanceOf(ActivityFailure.class, bad.getCause());
    assertEquals("mv-base", steps.live);
  }

  @Test
  void napAuditsWithoutChangingWeights() {
    FakeSteps steps = new FakeSteps(3, 1);
    steps.degraded = List.of("f2");
    start(steps, false);
    NapWorkflow.Result r = SleepWorkflows.nap(client, new NapWorkflow.Request("m1", "nap-1", false, 0.5, TestTimeouts.fast()));
    assertEquals(4, r.audited());
    assertEquals(List.of("f2"), r.degradedFactIds());
    assertEquals(List.of("HealthCheck", "Audit", "Report"), steps.calls);
    assertEquals("mv-base", steps.live);
  }

  /** Small helper so each test says which report it expects. */
  static final class ReportActivityAssert {
    static void single(FakeSteps steps, String kind, SleepOutcome outcome) {
      assertEquals(1, steps.reports.size());
      assertEquals(kind, steps.reports.get(0).kind());
      assertEquals(outcome.wireName(), steps.reports.get(0).outcome());
    }
  }
}
