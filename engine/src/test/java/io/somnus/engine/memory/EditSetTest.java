package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.WeightInit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Weight bookkeeping on a random-init model: effective weight = base + Σ scale·Δ, exactly. */
class EditSetTest {
  static final LlamaConfig CONFIG = LlamaConfig.llama(61, 48, 80, 3, 4, 4, 64, true, DType.F32, 0, 1);
  LlamaModel model;

  @BeforeEach
  void load() {
    model = LlamaModel.fromHost(CONFIG, WeightInit.random(CONFIG, 5, 0.2, false), Device.cpu());
  }

  @AfterEach
  void close() {
    model.close();
  }

  static MemitEdit edit(String id, long seed, float magnitude, int... layers) {
    SplittableRandom r = new SplittableRandom(seed);
    List<LayerDelta> deltas = new java.util.ArrayList<>();
    for (int l : layers) {
      int rank = 2;
      float[] u = new float[48 * rank];
      float[] v = new float[80 * rank];
      for (int i = 0; i < u.length; i++) u[i] = (float) (magnitude * r.nextGaussian());
      for (int i = 0; i < v.length; i++) v[i] = (float) (magnitude * r.nextGaussian());
      deltas.add(new LayerDelta(LlamaModel.layerWeight(l, "mlp.down_proj.weight"), 48, 80, rank, u, v));
    }
    return new MemitEdit(id, List.of(new Fact("S" + id, "lives in", "Town" + seed)), deltas);
  }

  float[] w(int layer) {
    return model.weight(LlamaModel.layerWeight(layer, "mlp.down_proj.weight")).toFloatArray();
  }

  @Test
  void effectiveWeightIsBasePlusScaledDeltasAndScaleZeroOrRemovalRestoresBitForBit() {
    float[] base = w(1);
    MemitEdit a = edit("a", 1, 0.1f, 0, 1);
    MemitEdit b = edit("b", 2, 0.1f, 1);
    try (EditSet set = new EditSet(model)) {
      set.apply(a, 1f);
      set.apply(b, 0.5f);
      float[] da = a.deltas().get(1).dense();
      float[] db = b.deltas().get(0).dense();
      float[] now = w(1);
      for (int i = 0; i < base.length; i++) assertEquals(base[i] + da[i] + 0.5f * db[i], now[i], 1e-5f);
      set.setScale("a", 0f);
      set.setScale("b", 0f);
      assertArrayEquals(base, w(1), "all scales 0: the base, bit for bit");
      set.setScale("a", 0.5f);
      set.setScale("a", 1f);
      set.remove("a");
      set.remove("b");
      assertArrayEquals(base, w(1), "all removed: the base, bit for bit");
      assertTrue(set.edits().isEmpty());
    }
  }

  @Test
  void orderOfOperationsDoesNotMatter() {
    MemitEdit a = edit("a", 1, 0.1f, 1);
    MemitEdit b = edit("b", 2, 0.1f, 1);
    float[] first;
    try (EditSet set = new EditSet(model)) {
      set.apply(a, 1f);
      set.apply(b, 0.1f);
      first = w(1);
      set.remove("a");
      set.remove("b");
    }
    try (EditSet set = new EditSet(model)) {
      set.apply(b, 1f);
      set.apply(a, 0.3f);
      set.setScale("b", 0.1f);
      set.setScale("a", 1f);
      assertArrayEquals(first, w(1));
    }
  }

  @Test
  void anEditThatWouldMakeWeightsNonFiniteIsRolledBack() {
    MemitEdit good = edit("good", 1, 0.1f, 1);
    MemitEdit huge = edit("huge", 3, 1e20f, 1); // finite factors whose product overflows to ±∞
    assertTrue(huge.isFinite());
    try (EditSet set = new EditSet(model)) {
      set.apply(good, 1f);
      float[] before = w(1);
      assertThrows(EditSet.NonFiniteEditException.class, () -> set.apply(huge, 1f));
      assertArrayEquals(before, w(1), "rolled back");
      assertEquals(List.of(good), set.edits(), "the bad edit is not kept");
      MemitEdit big = edit("big", 4, 10f, 1); // |ΔW| ~ 10²: finite at scale 1, overflows at Float.MAX_VALUE
      set.apply(big, 1f);
      float[] withBig = w(1);
      assertThrows(EditSet.NonFiniteEditException.class, () -> set.setScale("big", Float.MAX_VALUE));
      assertArrayEquals(withBig, w(1), "a scale overflowing the weights is rolled back too");
      assertEquals(1f, set.scale("big"));
    }
  }

  @Test
  void badInputIsAClearError() {
    try (EditSet set = new EditSet(model)) {
      MemitEdit a = edit("a", 1, 0.1f, 1);
      set.apply(a, 1f);
      assertThrows(IllegalArgumentException.class, () -> set.apply(a, 1f), "twice");
      assertThrows(IllegalArgumentException.class, () -> set.setScale("nope", 1f), "unknown id");
      assertThrows(IllegalArgumentException.class, () -> set.setScale("a", Float.NaN), "NaN scale");
      MemitEdit wrongShape = new MemitEdit("w", a.facts(),
          List.of(new LayerDelta(LlamaModel.layerWeight(1, "mlp.down_proj.weight"), 80, 48, 1, new float[80], new float[48])));
      assertThrows(IllegalArgumentException.class, () -> set.apply(wrongShape, 1f));
    }
  }

  @Test
  void reapplyOnAnotherModelReproducesTheEffectiveWeights() {
    MemitEdit a = edit("a", 1, 0.1f, 0, 1);
    MemitEdit b = edit("b", 2, 0.1f, 1, 2);
    Map<MemitEdit, Float> scales = new LinkedHashMap<>();
    try (EditSet set = new EditSet(model)) {
      set.apply(a, 0.5f);
      set.apply(b, 0.1f);
      scales.putAll(set.editsAtScales());
      try (LlamaModel candidate = LlamaModel.fromHost(CONFIG, WeightInit.random(CONFIG, 5, 0.2, false), Device.cpu());
          EditSet copy = EditSet.reapply(candidate, scales)) {
        for (int l = 0; l < 3; l++) {
          String name = LlamaModel.layerWeight(l, "mlp.down_proj.weight");
          assertArrayEquals(model.weight(name).toFloatArray(), candidate.weight(name).toFloatArray(), name);
        }
        assertEquals(scales, copy.editsAtScales());
      }
    }
  }
}
