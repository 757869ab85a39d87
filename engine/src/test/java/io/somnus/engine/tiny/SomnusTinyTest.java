package io.somnus.engine.tiny;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.sleep.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings a built model ships beside its weights, checked on a model folder that is already built (no training). */
class SomnusTinyTest {
  @TempDir Path models;

  private Path built(SomnusTiny.Variant v) throws Exception {
    Path dir = models.resolve(v.name() + "-" + v.fingerprint());
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ModelCard.FILE), "{}");
    return dir;
  }

  @Test
  void bothVariantsShipTheirMeasuredSleepSettingsAndOnlyTheDefaultItsMemitSettings() throws Exception {
    for (SomnusTiny.Variant v : new SomnusTiny.Variant[] {SomnusTiny.Variant.DEFAULT, SomnusTiny.Variant.TEST}) {
      Path dir = built(v);
      assertEquals(dir, SomnusTiny.ensure(v, models, System.err));
      LoraConfig sleep = LoraConfig.defaults().forCheckpoint(dir);
      assertEquals(16f, sleep.distillWeight(), v.name());
      assertEquals(LoraConfig.defaults().withDistillation(16f, LoraConfig.defaults().distillTopK()), sleep,
          "only the distillation weight differs from the defaults");
      assertEquals(v.equals(SomnusTiny.Variant.DEFAULT), Files.isRegularFile(dir.resolve(MemitConfig.FILE)), v.name());
    }
  }

  @Test
  void aModelFoldersOwnSleepSettingsAreKept() throws Exception {
    Path dir = built(SomnusTiny.Variant.TEST);
    Files.writeString(dir.resolve(LoraConfig.FILE), "{\"distillWeight\": 2, \"rank\": 4, \"alpha\": 8}");
    SomnusTiny.ensure(SomnusTiny.Variant.TEST, models, System.err);
    LoraConfig sleep = LoraConfig.defaults().forCheckpoint(dir);
    assertEquals(2f, sleep.distillWeight());
    assertEquals(4, sleep.rank());
    assertFalse(Files.isRegularFile(dir.resolve(MemitConfig.FILE)), "the test model keeps MEMIT's defaults");
    assertTrue(Files.readString(dir.resolve(LoraConfig.FILE)).contains("\"rank\": 4"));
  }
}
