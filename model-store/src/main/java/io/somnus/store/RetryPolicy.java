package io.somnus.store;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter for transient store errors (connection failures, 5xx, throttling).
 * Client errors (4xx) are never retried: repeating a bad request cannot fix it.
 *
 * @param maxAttempts total attempts including the first (1 = no retry)
 * @param initialDelay wait before the second attempt
 * @param maxDelay cap on any single wait
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {
  public RetryPolicy {
    if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    if (initialDelay.isNegative() || maxDelay.isNegative()) throw new IllegalArgumentException("negative retry delay");
  }

  /** Six attempts over roughly 15 seconds: rides out a store restart, fails fast enough to report. */
  public static RetryPolicy standard() {
    return new RetryPolicy(6, Duration.ofMillis(250), Duration.ofSeconds(8));
  }

  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
  }

  /** Wait before attempt {@code attempt} (2 = first retry): initial·2^(attempt-2), capped, ±25 % jitter. */
  Duration delayBefore(int attempt) {
    long base = initialDelay.toMillis() << Math.min(30, Math.max(0, attempt - 2));
    long capped = Math.min(base, maxDelay.toMillis());
    if (capped <= 0) return Duration.ZERO;
    long jitter = ThreadLocalRandom.current().nextLong(-capped / 4, capped / 4 + 1);
    return Duration.ofMillis(Math.max(0, capped + jitter));
  }
}
