package io.somnus.store;

/**
 * One metric value at one step (e.g. training loss at step 120, or recall of fact f1 after a sleep).
 *
 * @param timestampMillis wall-clock time of the measurement, epoch milliseconds
 */
public record MetricPoint(String key, double value, long step, long timestampMillis) {
  public MetricPoint {
    Tracking.checkKey("metric", key);
  }
}
