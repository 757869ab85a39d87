package io.somnus.engine.consolidation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.runtime.DjlModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseTest {
  @TempDir
  Path tmp;

  static List<TrainedAdapter> randomAdapters(DjlModelRuntime rt, LoraConfig cfg, long seed) {
    Random r = new Random(seed);
    List<TrainedAdapter> out = new ArrayList<>();
    for (String name : cfg.weightNames(rt.config())) {
      long[] s = rt.model().weight(name).getShape().getShape();
      int o = (int) s[0];
      int in = (int) s[1];
      float[] down = new float[in * cfg.rank()];
      float[] up = new float[cfg.rank() * o];
      for (int i = 0; i < down.length; i++) down[i] = (float) r.nextGaussian() * 0.1f;
      for (int i = 0; i < up.length; i++) up[i] = (float) r.nextGaussian() * 0.05f;
      out.add(new TrainedAdapter(name, in, o, cfg.rank(), cfg.scale(), down, up));
    }
    return out;
  }

  @Test
  void candidateComputesWhatTheHookedAdaptersComputeAndTheSourceIsUntouched() throws Exception {
    Path source = TinyFixture.checkpoint();
    byte[] sourceBytes = Files.readAllBytes(source.resolve(Checkpoint.SINGLE));
    try (DjlModelRuntime live = DjlModelRuntime.load(source)) {
      List<TrainedAdapter> adapters = randomAdapters(live, LoraConfig.defaults(), 5);
      long[] ids = live.tokenizer().encode("Mara Okafor lives in Lisbon and enjoys chess.");
      float[] hooked;
      float[] plainBefore;
      try (NDManager s = live.model().manager().newSubManager()) {
        Map<String, LowRankAdapter> hooks = new HashMap<>();
        for (TrainedAdapter a : adapters) hooks.put(a.weightName(), a.toDevice(s));
        hooked = live.model().forward(s, new long[][] {ids}, ForwardHooks.none().adapters(hooks), null).logits().toFloatArray();
        plainBefore = live.model().forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray();
      }
      Path candidate = tmp.resolve("candidate");
      Fuse.toCandidate(source, adapters, candidate);
      try (DjlModelRuntime cand = DjlModelRuntime.load(candidate); NDManager s = cand.model().manager().newSubManager()) {
        float[] fused = cand.model().forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray();
        float maxAbs = 0;
        for (float x : hooked) maxAbs = Math.max(maxAbs, Math.abs(x));
        assertArrayEquals(hooked, fused, 1e-4f * maxAbs, "fused candidate = base + hooked adapters");
        assertFalse(java.util.Arrays.equals(plainBefore, fused), "the adapters change the output at all");
      }
      try (NDManager s = live.model().manager().newSubManager()) {
        assertArrayEquals(plainBefore, live.model().forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray(), 0f,
            "the live model computes exactly what it did before");
      }
      assertArrayEquals(sourceBytes, Files.readAllBytes(source.resolve(Checkpoint.SINGLE)), "the source checkpoint is not rewritten");
      assertTrue(Files.isRegularFile(candidate.resolve("tokenizer.json")), "candidate is a complete checkpoint");
    }
  }

  @Test
  void fusingIsCumulativeOnTopOfThePreviousCandidate() throws Exception {
    Path source = TinyFixture.checkpoint();
    try (DjlModelRuntime live = DjlModelRuntime.load(source)) {
      List<TrainedAdapter> first = randomAdapters(live, LoraConfig.defaults(), 1);
      List<TrainedAdapter> second = randomAdapters(live, LoraConfig.defaults(), 2);
      Fuse.toCandidate(source, first, tmp.resolve("c1"));
      Fuse.toCandidate(tmp.resolve("c1"), second, tmp.resolve("c2"));
      List<TrainedAdapter> both = new ArrayList<>(first);
      both.addAll(second);
      Map<String, HostTensor> direct = Fuse.fuse(Checkpoint.load(source).tensors(), both);
      Map<String, HostTensor> chained = Checkpoint.load(tmp.resolve("c2")).tensors();
      String name = first.get(0).weightName();
      assertArrayEquals(direct.get(name).data(), chained.get(name).data(), 1e-6f);
    }
  }

  @Test
  void misfitAndNonFiniteAdaptersAreRefusedWithoutWritingAnything() throws Exception {
    Path source = TinyFixture.checkpoint();
    Map<String, HostTensor> base = Checkpoint.load(source).tensors();
    String name = "model.layers.3.mlp.down_proj.weight";
    long[] shape = base.get(name).shape();
    int out = (int) shape[0];
    int in = (int) shape[1];
    TrainedAdapter transposed = new TrainedAdapter(name, out, in, 2, 1f, new float[out * 2], new float[2 * in]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fuse.toCandidate(source, List.of(transposed), tmp.resolve("bad")));
    assertTrue(e.getMessage().contains(name), e.getMessage());
    TrainedAdapter missing = new TrainedAdapter("model.layers.9.mlp.down_proj.weight", in, out, 2, 1f, new float[in * 2], new float[2 * out]);
    assertThrows(IllegalArgumentException.class, () -> Fuse.fuse(base, List.of(missing)));
    float[] down = new float[in * 2];
    down[0] = Float.NaN;
    float[] up = new float[2 * out];
    java.util.Arrays.fill(up, 1f);
    TrainedAdapter nan = new TrainedAdapter(name, in, out, 2, 1f, down, up);
    assertThrows(NonFiniteWeightsException.class, () -> Fuse.toCandidate(source, List.of(nan), tmp.resolve("nan")));
    assertFalse(Files.exists(tmp.resolve("bad")) || Files.exists(tmp.resolve("nan")), "no candidate folder is left behind");
    float[] before = base.get(name).data().clone();
    assertThrows(NonFiniteWeightsException.class, () -> Fuse.fuse(base, List.of(nan)));
    assertArrayEquals(before, base.get(name).data(), 0f, "the source tensors are never modified");
  }
}
