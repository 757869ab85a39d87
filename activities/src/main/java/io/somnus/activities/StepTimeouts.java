package io.somnus.activities;

import java.time.Duration;

/**
 * Timeouts and retry bounds for the steps of one workflow run. They travel in the workflow input so
 * tests can shorten them and deployments can lengthen them without a code change.
 *
 * @param heavyStartToClose longest a model step may run once started (training on CPU is slow)
 * @param lightStartToClose longest a registry/ledger step may run
 * @param heartbeat a heavy step that has not heartbeated for this long is presumed dead and retried
 *     on another worker
 * @param scheduleToStart how long a step may wait for a worker to pick it up; a wrong GPU setting
 *     (no GPU worker polling) then fails visibly instead of waiting forever
 * @param maxAttempts attempts per step, first one included
 * @param initialRetryInterval first back-off; it doubles up to {@code maxRetryInterval}
 */
public record StepTimeouts(Duration heavyStartToClose, Duration lightStartToClose, Duration heartbeat,
    Duration scheduleToStart, int maxAttempts, Duration initialRetryInterval, Duration maxRetryInterval) {

  public StepTimeouts {
    requirePositive("heavyStartToClose", heavyStartToClose);
    requirePositive("lightStartToClose", lightStartToClose);
    requirePositive("heartbeat", heartbeat);
    requirePositive("scheduleToStart", scheduleToStart);
    requirePositive("initialRetryInterval", initialRetryInterval);
    requirePositive("maxRetryInterval", maxRetryInterval);
    if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be ≥ 1, got " + maxAttempts);
  }

  /**
   * Production defaults: a CPU LoRA run on the default model takes minutes, on a big model hours. Heavy steps report
   * progress from inside their loops, so a minute of silence means a dead worker (loading a large checkpoint reports
   * before it starts).
   */
  public static StepTimeouts defaults() {
    return new StepTimeouts(Duration.ofHours(6), Duration.ofMinutes(10), Duration.ofMinutes(1),
        Duration.ofHours(1), 5, Duration.ofSeconds(2), Duration.ofMinutes(1));
  }

  /** These timeouts with another heartbeat timeout. */
  public StepTimeouts withHeartbeat(Duration d) {
    return new StepTimeouts(heavyStartToClose, lightStartToClose, d, scheduleToStart, maxAttempts, initialRetryInterval,
        maxRetryInterval);
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
  }
}
