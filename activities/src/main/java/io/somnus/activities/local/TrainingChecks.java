package io.somnus.activities.local;

import io.somnus.engine.sleep.LoraTrainer;
import java.util.List;

/**
 * What one training attempt of a sleep learned and forgot, check by check ({@link LoraTrainer.Listener#onCheck}), and
 * which check's adapters it handed on: the record that explains a sleep whose candidate learned nothing or was refused.
 * Journaled per attempt beside the attempt's result; read with {@link LocalSteps#trainingChecks}.
 *
 * @param keptStep the step whose adapters were stored ({@link LoraTrainer.Result#keptStep}); 0: the untrained ones
 */
public record TrainingChecks(List<LoraTrainer.RecallCheck> checks, int keptStep) {
  static final String STEP = "train-lora-checks";

  public TrainingChecks {
    checks = List.copyOf(checks);
  }
}
