package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemitConfigTest {
  @TempDir Path dir;

  @Test
  void aCheckpointWithoutSettingsGetsTheDefaults() {
    assertEquals(MemitConfig.defaults(4), MemitConfig.forCheckpoint(dir, 4));
  }

  @Test
  void aCheckpointsSettingsOverrideOnlyWhatTheyName() throws Exception {
    Files.writeString(dir.resolve(MemitConfig.FILE), "{\"_why\": \"measured\", \"klWeight\": 0.25, \"lambda\": 900, \"repairRounds\": 2, \"nullSpaceThreshold\": 0.05}");
    MemitConfig c = MemitConfig.forCheckpoint(dir, 4);
    MemitConfig d = MemitConfig.defaults(4);
    assertEquals(0.25f, c.klWeight());
    assertEquals(900, c.lambda());
    assertEquals(2, c.repairRounds());
    assertEquals(0.05, c.nullSpaceThreshold());
    assertEquals(1e-2, d.nullSpaceThreshold());
    assertEquals(d.residualBoosts(), c.residualBoosts());
    assertEquals(d.layers(), c.layers());
    assertEquals(d.withKlWeight(0.25f).withLambda(900).withRepairRounds(2).withNullSpaceThreshold(0.05), c);
  }

  @Test
  void unknownKeysBadValuesAndBrokenFilesAreClearErrors() throws Exception {
    Path file = dir.resolve(MemitConfig.FILE);
    Files.writeString(file, "{\"lamda\": 900}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemitConfig.forCheckpoint(dir, 4));
    assertTrue(e.getMessage().contains("unknown MEMIT setting 'lamda'"), e.getMessage());
    Files.writeString(file, "{\"lambda\": -1}");
    e = assertThrows(IllegalArgumentException.class, () -> MemitConfig.forCheckpoint(dir, 4));
    assertTrue(e.getMessage().contains("lambda"), e.getMessage());
    Files.writeString(file, "{\"nullSpaceThreshold\": 1.5}");
    e = assertThrows(IllegalArgumentException.class, () -> MemitConfig.forCheckpoint(dir, 4));
    assertTrue(e.getMessage().contains("nullSpaceThreshold"), e.getMessage());
    Files.writeString(file, "{\"lambda\": \"high\"}");
    e = assertThrows(IllegalArgumentException.class, () -> MemitConfig.forCheckpoint(dir, 4));
    assertTrue(e.getMessage().contains("must be a number"), e.getMessage());
    Files.writeString(file, "{\"lambda\": 9");
    e = assertThrows(IllegalArgumentException.class, () -> MemitConfig.forCheckpoint(dir, 4));
    assertTrue(e.getMessage().contains("cannot read MEMIT settings"), e.getMessage());
  }
}
