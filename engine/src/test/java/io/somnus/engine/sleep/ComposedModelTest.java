package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.Checkpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComposedModelTest {
  @TempDir static Path dir;
  static Path base;

  @BeforeAll
  static void setUp() throws Exception {
    base = SleepFixtures.checkpoint(dir, 41);
  }

  @Test
  void weightsAreFusedPlusScaledEditsAndScalingToZeroAndBackIsExact() {
    MemitEdit a = SleepFixtures.randomEdit("a", SleepFixtures.FACTS.subList(0, 1), 1);
    MemitEdit b = SleepFixtures.randomEdit("b", SleepFixtures.FACTS.subList(1, 2), 2);
    String w = "model.layers.1.mlp.down_proj.weight";
    Checkpoint.Contents c = Checkpoint.load(base);
    float[] fused = c.tensors().get(w).data();
    try (ComposedModel m = ComposedModel.load(base, List.of(a, b), Map.of("a", 1f, "b", 0.5f), Device.cpu())) {
      float[] composed = m.model().weight(w).toFloatArray();
      float[] da = a.deltas().get(0).dense();
      float[] db = b.deltas().get(0).dense();
      for (int i = 0; i < fused.length; i++) assertEquals(fused[i] + da[i] + 0.5f * db[i], composed[i], 1e-5);
      m.setScale("a", 0f);
      float[] withoutA = m.model().weight(w).toFloatArray();
      for (int i = 0; i < fused.length; i++) assertEquals(fused[i] + 0.5f * db[i], withoutA[i], 1e-5);
      m.setScale("a", 1f);
      assertArrayEquals(composed, m.model().weight(w).toFloatArray(), "back to scale 1 is bit-exact");
      m.setScales(Map.of("a", 0f, "b", 0f));
      assertArrayEquals(fused, m.model().weight(w).toFloatArray(), "all edits at 0 is the fused weight exactly");
      assertArrayEquals(c.tensors().get("model.layers.0.mlp.down_proj.weight").data(),
          m.model().weight("model.layers.0.mlp.down_proj.weight").toFloatArray(), "untouched weights stay");
      assertThrows(IllegalArgumentException.class, () -> m.setScale("a", 1.5f));
      assertThrows(IllegalArgumentException.class, () -> m.setScale("zzz", 1f));
    }
  }

  @Test
  void editsThatDoNotFitTheModelAreRefusedWithTheirName() {
    MemitEdit wrongShape = new MemitEdit("bad", SleepFixtures.FACTS.subList(0, 1),
        List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 128, 64, 1, new float[128], new float[64])));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ComposedModel.load(base, List.of(wrongShape), Map.of("bad", 1f), Device.cpu()));
    assertTrue(e.getMessage().contains("bad") && e.getMessage().contains("128×64"), e.getMessage());
    float[] u = new float[64];
    u[0] = Float.NaN;
    MemitEdit nan = new MemitEdit("nan", SleepFixtures.FACTS.subList(0, 1),
        List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 64, 128, 1, u, new float[128])));
    assertThrows(IllegalArgumentException.class, () -> ComposedModel.load(base, List.of(nan), Map.of("nan", 1f), Device.cpu()));
    MemitEdit ok = SleepFixtures.randomEdit("ok", SleepFixtures.FACTS.subList(0, 1), 3);
    assertThrows(IllegalArgumentException.class, () -> ComposedModel.load(base, List.of(ok), Map.of(), Device.cpu()));
  }
}
