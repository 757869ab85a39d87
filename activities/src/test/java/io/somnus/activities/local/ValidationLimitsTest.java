package io.somnus.activities.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.somnus.activities.ValidateActivity;
import io.somnus.engine.sleep.ValidationConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A sleep's tracking run records the bounds the validating worker applied, not only the request's thresholds: with
 * the defaults the worker's 2 % perplexity bound is the one that decides, and the request's 15 % never does.
 */
class ValidationLimitsTest {
  @Test
  void theWorkersValidationSettingsBecomeTrackingParameters() {
    Map<String, String> limits = ValidateActivityImpl.limits(new ValidationConfig(0.03, 0.25, true, false, 3));
    assertEquals(Map.of("validation_max_perplexity_drift", "0.03", "validation_max_behaviour_shift", "0.25",
        "validation_require_chat_recall", "true", "validation_require_raw_recall", "false",
        "validation_recovered_per_loss", "3", "validation_max_knowledge_loss_per_sleep", "0.01",
        "validation_max_knowledge_loss_over_lifetime", "0.05"), limits);
  }

  @Test
  void aResultRecordedBeforeTheLimitsExistedReadsAsNoLimits() {
    // histories recorded before the field existed deserialise it as null; the workflow must still replay them
    var r = new ValidateActivity.Result(true, "mv-1", 0, 1, 2, 2, 1, 0, List.of(), List.of(), null, null);
    assertEquals(Map.of(), r.limits());
    assertEquals(List.of(), r.keptScaleEditIds());
  }
}
