package io.somnus.engine.sleep;

import java.util.List;
import java.util.Map;

/**
 * What one sleep did. {@code seconds} holds the wall time of every step that ran, in order
 * (audit, train, fuse, gate, validate, promote).
 *
 * @param status PROMOTED: the candidate replaced the live model; ROLLED_BACK: validation rejected
 *     it; FAILED: training or fusing could not produce a usable candidate; SKIPPED: nothing to
 *     consolidate. In every status but PROMOTED the live state is the one the sleep started from.
 * @param refusedAttempts why validation refused each candidate of this sleep before the last one (each refusal was
 *     followed by training again at a lower learning rate, see {@link SleepCycle.Settings#retriesOnRefusal}); empty
 *     when the first candidate decided. The training figures and {@code validation} are the last attempt's;
 *     {@code seconds} adds up all attempts.
 * @param trainingKeptStep the step whose adapters the last candidate was fused from ({@link LoraTrainer.Result#keptStep}):
 *     {@code trainingSteps}, an earlier check's, or 0 when training handed back its untrained adapters and the
 *     candidate's fused weights are the live ones
 * @param keptScale edits of the last candidate the gate left at their scale because the new one would lose an answer
 *     ({@link ConsolidationGate.Result#keptScale})
 */
public record SleepReport(Status status, String reason, int generation, int facts, int trainingExamples,
    int trainingSteps, int trainingKeptStep, double firstLoss, double finalLoss, long advanced, long retreated, int[] stagesBefore,
    int[] stagesAfter, int activeEdits, Map<String, Float> scales, Measurement audit, ValidationReport validation,
    Map<String, Double> seconds, List<String> refusedAttempts, List<String> keptScale) {

  public enum Status { PROMOTED, ROLLED_BACK, FAILED, SKIPPED }

  public SleepReport {
    refusedAttempts = List.copyOf(refusedAttempts);
    keptScale = List.copyOf(keptScale);
  }

  /** Candidates trained: 0 when skipped, else one more than the refused attempts before the last. */
  public int attempts() {
    return status == Status.SKIPPED ? 0 : refusedAttempts.size() + 1;
  }

  public double totalSeconds() {
    return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
  }
}
