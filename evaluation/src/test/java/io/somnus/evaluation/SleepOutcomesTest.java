package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class SleepOutcomesTest {
  @Test
  void listsEachRefusedAttemptAndEachSleepThatDidNotGoLiveUnderOneHeading() {
    SleepOutcomes o = new SleepOutcomes();
    o.add("seed 1 wave 1", List.of(), "PROMOTED", "");
    assertEquals("", o.section(), "a sleep promoted at its first attempt is not listed");
    o.add("seed 2 wave 3", List.of("perplexity drift 3.1 % over 2 %"), "PROMOTED", "");
    o.add("seed 3 wave 1", List.of("behaviour drift 0.12"), "KEPT_LIVE", "behaviour drift 0.11");
    o.add("seed 3 wave 2", List.of(), "FAILED", "training diverged at step 4");
    String s = o.section();
    assertTrue(s.startsWith("\nSleeps not promoted at their first attempt"), s);
    assertEquals(List.of(
        "- seed 2 wave 3 attempt 1 refused, trained again at a lower rate: perplexity drift 3.1 % over 2 %",
        "- seed 3 wave 1 attempt 1 refused, trained again at a lower rate: behaviour drift 0.12",
        "- seed 3 wave 1 KEPT_LIVE: behaviour drift 0.11",
        "- seed 3 wave 2 FAILED: training diverged at step 4"),
        s.lines().filter(l -> l.startsWith("- ")).toList());
  }
}
