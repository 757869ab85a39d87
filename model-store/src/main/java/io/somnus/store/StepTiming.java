package io.somnus.store;

import java.time.Duration;
import java.time.Instant;

/**
 * When one step of a run ran, e.g. TrainLora of the second attempt.
 *
 * @param attempt 0 for a step's first run in the sleep, k for the k-th retry after a refused candidate
 */
public record StepTiming(String step, int attempt, Instant started, Instant ended) {
  public StepTiming {
    Tracking.checkKey("step", step);
    if (attempt < 0) throw new IllegalArgumentException("attempt must be >= 0, got " + attempt);
    if (started == null || ended == null || ended.isBefore(started)) {
      throw new IllegalArgumentException("step " + step + ": ended (" + ended + ") before it started (" + started + ")");
    }
  }

  public Duration duration() {
    return Duration.between(started, ended);
  }
}
