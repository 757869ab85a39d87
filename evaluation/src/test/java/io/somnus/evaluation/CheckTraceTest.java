package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.somnus.activities.local.TrainingChecks;
import io.somnus.engine.sleep.LoraTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckTraceTest {
  @TempDir Path tmp;

  @Test
  void eachCheckIsALineWithOneLinePerMissAndSleepsOfOneFileFollowEachOther() throws Exception {
    Path file = tmp.resolve("run").resolve("checks-lifetime.txt");
    LoraTrainer.RecallCheck check = new LoraTrainer.RecallCheck(20, 4, List.of(
        new LoraTrainer.Miss(0, "Nairobi", true, 0, "Rafael Tango."),
        new LoraTrainer.Miss(3, "a chemist", false, 2, "Gustav works as\na baker")), 1);
    try (CheckTrace t = new CheckTrace(file, "seed 1")) {
      t.write("sleep 2", List.of(new TrainingChecks(List.of(check), 0),
          new TrainingChecks(List.of(new LoraTrainer.RecallCheck(0, 4, List.of(), 0)), 120)));
    }
    try (CheckTrace t = new CheckTrace(file, "seed 2")) {
      t.write("sleep 1", List.of(new TrainingChecks(List.of(new LoraTrainer.RecallCheck(0, 4, List.of(), 0)), 0)));
    }
    assertEquals(List.of(
        "seed 1 sleep 2 attempt 1 step 20: 2 of 4 missed, 1 lost, 1 recovered",
        "  lost   check   0 Nairobi                  state 0: \"Rafael Tango.\"",
        "  missed check   3 a chemist                state 2: \"Gustav works as\\na baker\"",
        "seed 1 sleep 2 attempt 1: training returns the adapters of step 0 (untrained: they change nothing)",
        "seed 1 sleep 2 attempt 2 step 0: 0 of 4 missed, 0 lost, 0 recovered",
        "seed 1 sleep 2 attempt 2: training returns the adapters of step 120",
        "seed 2 sleep 1 attempt 1 step 0: 0 of 4 missed, 0 lost, 0 recovered",
        "seed 2 sleep 1 attempt 1: training returns the adapters of step 0 (untrained: they change nothing)"),
        Files.readAllLines(file));
  }
}
