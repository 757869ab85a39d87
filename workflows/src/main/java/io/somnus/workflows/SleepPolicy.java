package io.somnus.workflows;

import io.somnus.activities.StepTimeouts;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import java.util.Objects;

/**
 * The knobs of one sleep, carried in the workflow input so a replay sees exactly what the run saw.
 *
 * @param maxFacts facts consolidated per sleep at most
 * @param recallThreshold raw recall below which the audit calls a fact degraded (spec §6)
 * @param retriesOnRefusal times a sleep trains again, each at {@link TrainLoraActivity.Settings#forRetry} of the
 *     attempt before, when validation refuses its candidate ({@link #RETRIES_ON_REFUSAL}); 0 in
 *     requests recorded before retries existed, which then replay as they ran
 */
public record SleepPolicy(int maxFacts, double recallThreshold, TrainLoraActivity.Settings lora,
    ValidateActivity.Thresholds thresholds, StepTimeouts timeouts, int retriesOnRefusal) {

  /**
   * Times a sleep trains again, each at {@link TrainLoraActivity.Settings#forRetry} of the attempt before, when
   * validation refuses its candidate: a refused sleep leaves every fact a sleep behind, and a refusal is often a bound
   * missed by little that a gentler rate meets (evaluation/DECISIONS.md, "one retry on refusal").
   */
  public static final int RETRIES_ON_REFUSAL = 1;

  public SleepPolicy {
    if (maxFacts < 1) throw new IllegalArgumentException("maxFacts must be ≥ 1, got " + maxFacts);
    if (!(recallThreshold >= 0 && recallThreshold <= 1)) throw new IllegalArgumentException("recallThreshold must be in [0,1]");
    Objects.requireNonNull(lora, "lora");
    Objects.requireNonNull(thresholds, "thresholds");
    Objects.requireNonNull(timeouts, "timeouts");
    if (retriesOnRefusal < 0) throw new IllegalArgumentException("retriesOnRefusal must be ≥ 0, got " + retriesOnRefusal);
  }

  public static SleepPolicy defaults() {
    return new SleepPolicy(64, 0.5, TrainLoraActivity.Settings.defaults(), ValidateActivity.Thresholds.defaults(),
        StepTimeouts.defaults(), RETRIES_ON_REFUSAL);
  }

  public SleepPolicy withTimeouts(StepTimeouts t) {
    return new SleepPolicy(maxFacts, recallThreshold, lora, thresholds, t, retriesOnRefusal);
  }
}
