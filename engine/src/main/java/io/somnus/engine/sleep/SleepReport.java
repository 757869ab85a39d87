package io.somnus.engine.sleep;

import java.util.Map;

/**
 * What one sleep did. {@code seconds} holds the wall time of every step that ran, in order
 * (audit, train, fuse, gate, validate, promote).
 *
 * @param status PROMOTED: the candidate replaced the live model; ROLLED_BACK: validation rejected
 *     it; FAILED: training or fusing could not produce a usable candidate; SKIPPED: nothing to
 *     consolidate. In every status but PROMOTED the live state is the one the sleep started from.
 */
public record SleepReport(Status status, String reason, int generation, int facts, int trainingExamples,
    int trainingSteps, double firstLoss, double finalLoss, long advanced, long retreated, int[] stagesBefore,
    int[] stagesAfter, int activeEdits, Map<String, Float> scales, Measurement audit, ValidationReport validation,
    Map<String, Double> seconds) {

  public enum Status { PROMOTED, ROLLED_BACK, FAILED, SKIPPED }

  public double totalSeconds() {
    return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
