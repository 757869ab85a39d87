package io.somnus.workflows;

import io.somnus.activities.StepTimeouts;
import java.time.Duration;

final class TestTimeouts {
  private TestTimeouts() {}

  /** Short enough that a lost worker is noticed in seconds of real time. */
  static StepTimeouts fast() {
    return new StepTimeouts(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofSeconds(2),
        Duration.ofMinutes(5), 4, Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  static SleepPolicy policy() {
    return SleepPolicy.defaults().withTimeouts(fast());
  }
}
