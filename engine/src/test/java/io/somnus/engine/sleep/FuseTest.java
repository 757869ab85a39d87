package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseTest {
  @TempDir static Path dir;
  static Path checkpoint;

  @BeforeAll
  static void setUp() throws Exception {
    checkpoint = SleepFixtures.checkpoint(dir, 21);
  }

  /** Adapters with non-zero random factors on the default targets. */
  static TrainedAdapters randomAdapters(Checkpoint.Contents c, float scale, long seed) {
    Map<String, HostTensor> f = new LinkedHashMap<>();
    SplittableRandom r = new SplittableRandom(seed);
    for (String w : LoraConfig.defaults().targetWeights(c.config())) {
      long[] s = c.tensors().get(w).shape();
      f.put(w + TrainedAdapters.DOWN, random(w + TrainedAdapters.DOWN, new long[] {s[1], 4}, r));
      f.put(w + TrainedAdapters.UP, random(w + TrainedAdapters.UP, new long[] {4, s[0]}, r));
    }
    return TrainedAdapters.fromHost(f, scale, Device.cpu());
  }

  static HostTensor random(String name, long[] shape, SplittableRandom r) {
    float[] d = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextGaussian() * 0.1);
    return new HostTensor(name, DType.F32, shape, d);
  }

  @Test
  void fusedWeightsComputeWhatTheAdapterHookComputesAndTheParentIsUntouched() {
    Checkpoint.Contents c = Checkpoint.load(checkpoint);
    Map<String, float[]> parentBefore = new LinkedHashMap<>();
    c.tensors().forEach((n, t) -> parentBefore.put(n, t.data().clone()));
    long[][] ids = {{3, 17, 40, 99, 120, 7, 64, 200}};
    try (LlamaModel live = LlamaModel.load(c, Device.cpu()); TrainedAdapters a = randomAdapters(c, 2f, 1);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      Map<String, float[]> liveBefore = new LinkedHashMap<>();
      live.weights().forEach((n, w) -> liveBefore.put(n, w.toFloatArray()));
      float[] hooked = live.forward(m, ids, ForwardHooks.none().adapters(a.adapters()), null).logits().toFloatArray();
      float[] plain = live.forward(m, ids, ForwardHooks.none(), null).logits().toFloatArray();
      Map<String, HostTensor> fused = Fuse.merge(c.tensors(), a);
      try (LlamaModel candidate = LlamaModel.fromHost(c.config(), fused, Device.cpu())) {
        float[] merged = candidate.forward(m, ids, ForwardHooks.none(), null).logits().toFloatArray();
        double maxDiff = 0;
        double adapterEffect = 0;
        for (int i = 0; i < merged.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(merged[i] - hooked[i]));
          adapterEffect = Math.max(adapterEffect, Math.abs(hooked[i] - plain[i]));
        }
        assertTrue(maxDiff < 1e-4, "fused vs hooked logits differ by " + maxDiff);
        assertTrue(adapterEffect > 1e-2, "the adapter must matter for this check to mean anything: " + adapterEffect);
      }
      for (String w : a.targets()) assertNotSame(c.tensors().get(w), fused.get(w));
      c.tensors().forEach((n, t) -> assertArrayEquals(parentBefore.get(n), t.data(), "parent " + n + " changed"));
      live.weights().forEach((n, w) -> assertArrayEquals(liveBefore.get(n), w.toFloatArray(), "live " + n + " changed"));
    }
  }

  @Test
  void fusingTwiceIsCumulative() {
    Checkpoint.Contents c = Checkpoint.load(checkpoint);
    try (TrainedAdapters a = randomAdapters(c, 1f, 2); TrainedAdapters b = randomAdapters(c, 1f, 3)) {
      Map<String, HostTensor> once = Fuse.merge(c.tensors(), a);
      Map<String, HostTensor> twice = Fuse.merge(once, b);
      String w = a.targets().get(0);
      float[] p = c.tensors().get(w).data();
      float[] da = delta(once.get(w), c.tensors().get(w));
      float[] db = delta(twice.get(w), once.get(w));
      float[] t = twice.get(w).data();
      for (int i = 0; i < p.length; i++) assertEquals(p[i] + da[i] + db[i], t[i], 1e-5);
      assertFalse(java.util.Arrays.equals(da, db));
    }
  }

  private static float[] delta(HostTensor after, HostTensor before) {
    float[] d = new float[after.data().length];
    for (int i = 0; i < d.length; i++) d[i] = after.data()[i] - before.data()[i];
    return d;
  }

  @Test
  void anAdapterOfTheWrongShapeIsRefusedByName() {
    Checkpoint.Contents c = Checkpoint.load(checkpoint);
    String w = "model.layers.3.mlp.down_proj.weight";
    Map<String, HostTensor> f = new LinkedHashMap<>();
    SplittableRandom r = new SplittableRandom(4);
    // down_proj is [hidden, intermediate]; these factors are for the transposed shape.
    f.put(w + TrainedAdapters.DOWN, random("d", new long[] {64, 4}, r));
    f.put(w + TrainedAdapters.UP, random("u", new long[] {4, 128}, r));
    try (TrainedAdapters a = TrainedAdapters.fromHost(f, 1f, Device.cpu())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fuse.merge(c.tensors(), a));
      assertTrue(e.getMessage().contains(w) && e.getMessage().contains("[64, 128]"), e.getMessage());
    }
    Map<String, HostTensor> g = new LinkedHashMap<>();
    g.put("model.layers.9.mlp.down_proj.weight" + TrainedAdapters.DOWN, random("d", new long[] {128, 4}, r));
    g.put("model.layers.9.mlp.down_proj.weight" + TrainedAdapters.UP, random("u", new long[] {4, 64}, r));
    try (TrainedAdapters a = TrainedAdapters.fromHost(g, 1f, Device.cpu())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fuse.merge(c.tensors(), a));
      assertTrue(e.getMessage().contains("does not have"), e.getMessage());
    }
  }

  @Test
  void aNonFiniteCandidateIsRefusedAndNothingIsWritten() {
    Checkpoint.Contents c = Checkpoint.load(checkpoint);
    Map<String, HostTensor> f;
    try (TrainedAdapters a = randomAdapters(c, 1f, 5)) {
      f = new LinkedHashMap<>(a.toHost());
    }
    String w = "model.layers.2.self_attn.v_proj.weight";
    float[] up = f.get(w + TrainedAdapters.UP).data();
    up[3] = Float.NaN;
    float[] parentBefore = c.tensors().get(w).data().clone();
    try (TrainedAdapters bad = TrainedAdapters.fromHost(f, 1f, Device.cpu())) {
      NonFiniteWeightsException e = assertThrows(NonFiniteWeightsException.class, () -> Fuse.merge(c.tensors(), bad));
      assertEquals(w, e.weight());
      assertTrue(e.count() > 0);
    }
    assertArrayEquals(parentBefore, c.tensors().get(w).data(), 0f, "a refused merge leaves the parent's tensors untouched");
    Map<String, HostTensor> poisoned = new LinkedHashMap<>(c.tensors());
    float[] d = c.tensors().get(w).data().clone();
    d[0] = Float.POSITIVE_INFINITY;
    poisoned.put(w, new HostTensor(w, DType.F32, c.tensors().get(w).shape(), d));
    Path out = dir.resolve("bad-candidate");
    assertThrows(NonFiniteWeightsException.class, () -> Fuse.saveCandidate(out, c.config(), poisoned, checkpoint));
    assertFalse(java.nio.file.Files.exists(out));
  }
}
