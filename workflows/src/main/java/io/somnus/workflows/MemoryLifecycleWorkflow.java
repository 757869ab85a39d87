package io.somnus.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * A long-lived entity per model: counts facts learned while awake, exposes sleep pressure, and runs
 * one {@link SleepWorkflow} at a time as a child when pressure crosses the threshold or a sleep is
 * requested. Continues as new every few sleeps to keep its history bounded.
 */
@WorkflowInterface
public interface MemoryLifecycleWorkflow {
  /**
   * Carried across continue-as-new.
   *
   * @param awakeSinceMillis workflow time the model last woke up; 0 means "when the entity starts"
   */
  record State(String modelId, LifecycleSettings settings, int newFacts, long awakeSinceMillis,
      int sleepsCompleted, String lastOutcome, String lastRunId, String liveVersionId, boolean sleepRequested) {
    public State {
      if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
      if (settings == null) throw new IllegalArgumentException("lifecycle settings are missing");
    }

    public static State initial(String modelId, LifecycleSettings settings) {
      return initial(modelId, settings, 0, null);
    }

    /**
     * A new entity for a model that already holds facts no sleep has taken up yet (e.g. after the embedded Temporal
     * service restarted): they press from the start.
     */
    public static State initial(String modelId, LifecycleSettings settings, int pendingFacts, String liveVersionId) {
      if (pendingFacts < 0) throw new IllegalArgumentException("pending facts must be ≥ 0, got " + pendingFacts);
      return new State(modelId, settings, pendingFacts, 0, 0, null, null, liveVersionId, false);
    }
  }

  /** @param versionId the version the wake server wrote them into (informational) */
  record FactsLearned(int count, String versionId) {}

  record Status(String modelId, double pressure, int newFacts, boolean sleeping, String currentRunId,
      boolean sleepQueued, int sleepsCompleted, String lastOutcome, String lastRunId, String liveVersionId) {}

  @WorkflowMethod(name = "MemoryLifecycle")
  void run(State state);

  @SignalMethod
  void factsLearned(FactsLearned batch);

  @SignalMethod
  void requestSleep();

  /**
   * A sleep of this model that the entity did not start (CLI, chat, another client) has ended: its
   * facts no longer press, and the entity's view of live and of the last sleep follows it.
   */
  @SignalMethod
  void sleepFinished(SleepResult result);

  @SignalMethod
  void stop();

  @QueryMethod
  Status status();
}
