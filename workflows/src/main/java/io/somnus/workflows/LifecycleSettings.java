package io.somnus.workflows;

import java.time.Duration;
import java.util.Objects;

/**
 * When the memory-lifecycle entity puts its model to sleep.
 *
 * <p>Sleep pressure follows the reference (§8.1) without its perplexity term:
 * {@code P = 0.6·min(1, (newFacts/maxNewFacts)^1.5) + 0.3·min(1, awake/maxAwake)}, where newFacts
 * counts facts learned since the last sleep began (the reference's counter never went down after
 * consolidation, defect §12.13). A sleep starts when {@code P ≥ sleepThreshold} or on request.
 *
 * @param pressureCheck how often the entity re-evaluates the time term when no signal arrives
 * @param retryAfterFailure pause after a failed or refused sleep before trying again
 * @param continueAsNewAfterSleeps the entity starts a fresh history after this many sleeps
 */
public record LifecycleSettings(double sleepThreshold, int maxNewFacts, Duration maxAwake, Duration pressureCheck,
    Duration retryAfterFailure, int continueAsNewAfterSleeps, boolean gpuWorkers, SleepPolicy sleepPolicy) {

  public LifecycleSettings {
    if (!(sleepThreshold > 0 && sleepThreshold <= 0.9)) {
      throw new IllegalArgumentException("sleepThreshold must be in (0, 0.9] (the maximum pressure), got " + sleepThreshold);
    }
    if (maxNewFacts < 1) throw new IllegalArgumentException("maxNewFacts must be ≥ 1");
    Objects.requireNonNull(maxAwake, "maxAwake");
    Objects.requireNonNull(pressureCheck, "pressureCheck");
    Objects.requireNonNull(retryAfterFailure, "retryAfterFailure");
    if (continueAsNewAfterSleeps < 1) throw new IllegalArgumentException("continueAsNewAfterSleeps must be ≥ 1");
    if (sleepPolicy == null) sleepPolicy = SleepPolicy.defaults();
  }

  public static LifecycleSettings defaults(boolean gpuWorkers) {
    return new LifecycleSettings(0.6, 20, Duration.ofHours(2), Duration.ofMinutes(5), Duration.ofMinutes(10), 20,
        gpuWorkers, SleepPolicy.defaults());
  }

  /** These settings with another policy for the sleeps the entity starts. */
  public LifecycleSettings withSleepPolicy(SleepPolicy policy) {
    return new LifecycleSettings(sleepThreshold, maxNewFacts, maxAwake, pressureCheck, retryAfterFailure,
        continueAsNewAfterSleeps, gpuWorkers, policy);
  }

  /** Pressure for the given counts; pure, so the workflow and its query compute it the same way. */
  public double pressure(int newFacts, long awakeMillis) {
    double edit = Math.min(1.0, Math.pow((double) newFacts / maxNewFacts, 1.5));
    double time = Math.min(1.0, (double) Math.max(0, awakeMillis) / maxAwake.toMillis());
    return 0.6 * edit + 0.3 * time;
  }
}
