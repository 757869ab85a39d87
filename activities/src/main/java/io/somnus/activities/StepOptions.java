package io.somnus.activities;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;

/** Builds the {@link ActivityOptions} of heavy (model) and light (bookkeeping) steps. */
public final class StepOptions {
  /**
   * Failure types a retry cannot fix. Temporal matches them against the class name of the exception
   * the activity threw.
   */
  static final String[] NON_RETRYABLE = {
      BadStepInputException.class.getName(),
      IllegalArgumentException.class.getName(),
      "io.somnus.store.VersionNotFoundException",
      "io.somnus.store.CorruptObjectException",
      "io.somnus.store.LedgerFormatException",
      "io.somnus.store.AliasConflictException",
      // a training attempt is seeded by its run id and attempt: run again, it diverges at the same step
      "io.somnus.engine.train.TrainingDivergedException",
      "io.somnus.engine.sleep.NonFiniteWeightsException",
  };

  private StepOptions() {}

  /** A model step on the heavy queue, heartbeating, retried on worker loss. */
  public static ActivityOptions heavy(boolean gpuWorkers, StepTimeouts t) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(StepQueues.heavy(gpuWorkers))
        .setStartToCloseTimeout(t.heavyStartToClose())
        .setScheduleToStartTimeout(t.scheduleToStart())
        .setHeartbeatTimeout(t.heartbeat())
        .setRetryOptions(retry(t))
        .build();
  }

  /** A bookkeeping step (registry, ledger, tracking) on the CPU queue. */
  public static ActivityOptions light(StepTimeouts t) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(StepQueues.CPU)
        .setStartToCloseTimeout(t.lightStartToClose())
        .setScheduleToStartTimeout(t.scheduleToStart())
        .setRetryOptions(retry(t))
        .build();
  }

  static RetryOptions retry(StepTimeouts t) {
    return RetryOptions.newBuilder()
        .setInitialInterval(t.initialRetryInterval())
        .setBackoffCoefficient(2.0)
        .setMaximumInterval(t.maxRetryInterval())
        .setMaximumAttempts(t.maxAttempts())
        .setDoNotRetry(NON_RETRYABLE)
        .build();
  }
}
