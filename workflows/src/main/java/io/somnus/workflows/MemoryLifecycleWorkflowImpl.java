package io.somnus.workflows;

import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import org.slf4j.Logger;

public class MemoryLifecycleWorkflowImpl implements MemoryLifecycleWorkflow {
  private static final Logger log = Workflow.getLogger(MemoryLifecycleWorkflowImpl.class);

  private final String modelId;
  private final LifecycleSettings settings;
  private int newFacts;
  private long awakeSince;
  private int sleepsCompleted;
  private String lastOutcome;
  private String lastRunId;
  private String liveVersionId;
  private boolean sleepRequested;
  private boolean stopped;
  private boolean sleeping;
  private String currentRunId;
  private long notBefore;

  /**
   * The state is taken over here, not in {@link #run}: a signal that arrives with the start (signal-with-start, or a
   * wake's signal racing {@code ensureLifecycle} on a busy worker) is handled before the workflow method runs, and
   * {@code run} would then overwrite the facts it counted.
   */
  @WorkflowInit
  public MemoryLifecycleWorkflowImpl(State state) {
    modelId = state.modelId();
    settings = state.settings();
    newFacts = state.newFacts();
    awakeSince = state.awakeSinceMillis() > 0 ? state.awakeSinceMillis() : Workflow.currentTimeMillis();
    sleepsCompleted = state.sleepsCompleted();
    lastOutcome = state.lastOutcome();
    lastRunId = state.lastRunId();
    liveVersionId = state.liveVersionId();
    sleepRequested = state.sleepRequested();
  }

  @Override
  public void run(State state) {
    int sleepsThisRun = 0;

    while (true) {
      // The timeout lets the time term of the pressure grow without any signal arriving.
      Workflow.await(settings.pressureCheck(), () -> stopped || wantsSleep());
      if (stopped) return;
      if (!wantsSleep()) continue;
      sleepOnce();
      sleepsThisRun++;
      if (sleepsThisRun >= settings.continueAsNewAfterSleeps() || Workflow.getInfo().isContinueAsNewSuggested()) {
        Workflow.continueAsNew(snapshot());
      }
    }
  }

  private boolean wantsSleep() {
    long now = Workflow.currentTimeMillis();
    if (now < notBefore) return false;
    return sleepRequested || pressure() >= settings.sleepThreshold();
  }

  private double pressure() {
    return settings.pressure(newFacts, Workflow.currentTimeMillis() - awakeSince);
  }

  private void sleepOnce() {
    int counted = newFacts;
    sleeping = true;
    sleepRequested = false;
    currentRunId = RunIds.fresh("sleep", modelId, Workflow.currentTimeMillis());
    SleepWorkflow child = Workflow.newChildWorkflowStub(SleepWorkflow.class, ChildWorkflowOptions.newBuilder()
        .setWorkflowId(SleepWorkflows.sleepId(modelId))
        .setTaskQueue(SleepWorkflows.WORKFLOW_QUEUE)
        // a sleep already under way should finish even if the entity is terminated
        .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
        .build());
    try {
      SleepResult result = child.sleep(new SleepRequest(modelId, currentRunId, settings.gpuWorkers(), settings.sleepPolicy()));
      lastOutcome = result.outcome().wireName();
      lastRunId = result.runId();
      liveVersionId = result.versions().liveAfter();
      // facts that arrived during the sleep were not part of it; they stay pending
      newFacts = Math.max(0, newFacts - counted);
      awakeSince = Workflow.currentTimeMillis();
      sleepsCompleted++;
    } catch (ChildWorkflowFailure failure) {
      if (alreadyRunning(failure)) {
        // someone else (CLI, another starter) has the model asleep: queue ours behind it
        lastOutcome = "queued";
        sleepRequested = true;
      } else {
        lastOutcome = "failed: " + rootMessage(failure);
        log.warn("sleep {} of {} failed: {}", currentRunId, modelId, lastOutcome);
      }
      notBefore = Workflow.currentTimeMillis() + settings.retryAfterFailure().toMillis();
    } finally {
      sleeping = false;
      currentRunId = null;
    }
  }

  private static boolean alreadyRunning(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getClass().getSimpleName().contains("AlreadyStarted") || String.valueOf(c.getMessage()).contains("AlreadyStarted")) return true;
    }
    return false;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) c = c.getCause();
    return c.getMessage();
  }

  private State snapshot() {
    return new State(modelId, settings, newFacts, awakeSince, sleepsCompleted, lastOutcome, lastRunId, liveVersionId, sleepRequested);
  }

  @Override
  public void factsLearned(FactsLearned batch) {
    if (batch.count() < 0) throw new IllegalArgumentException("fact count must be ≥ 0, got " + batch.count());
    newFacts += batch.count();
    if (batch.versionId() != null && !sleeping) liveVersionId = batch.versionId();
  }

  @Override
  public void requestSleep() {
    sleepRequested = true;
  }

  @Override
  public void sleepFinished(SleepResult result) {
    // the entity's own sleeps are its children and are accounted for when the child returns
    if (result.runId().equals(currentRunId)) return;
    lastOutcome = result.outcome().wireName();
    lastRunId = result.runId();
    liveVersionId = result.versions().liveAfter();
    newFacts = Math.max(0, newFacts - result.facts().considered());
    awakeSince = Workflow.currentTimeMillis();
    sleepsCompleted++;
  }

  @Override
  public void stop() {
    stopped = true;
  }

  @Override
  public Status status() {
    return new Status(modelId, pressure(), newFacts, sleeping, currentRunId,
        sleeping && sleepRequested, sleepsCompleted, lastOutcome, lastRunId, liveVersionId);
  }
}
