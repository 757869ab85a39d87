package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CovarianceStatsTest {
  static DjlModelRuntime rt;
  static final List<Integer> LAYERS = List.of(1, 2);
  static final List<String> TEXTS = List.of("Edith lives in Lisbon.", "The pet of Karl is called Honey.", "Rosa works as a florist.");

  @BeforeAll
  static void load() {
    rt = DjlModelRuntime.load(SomnusTiny.ensure(SomnusTiny.Variant.TEST), Device.cpu());
  }

  @AfterAll
  static void close() {
    rt.close();
  }

  @Test
  void statisticsMatchTheKeysTheyAreComputedFrom() {
    CovarianceStats st = CovarianceStats.collect(rt.model(), rt.tokenizer(), LAYERS, TEXTS);
    int m = rt.config().intermediateSize();
    double[] sum = new double[m];
    double[] sq = new double[m];
    double cross = 0; // E[k_0 k_1]
    long n = 0;
    for (String t : TEXTS) {
      long[] ids = rt.tokenizer().encode(t);
      try (NDManager s = rt.model().manager().newSubManager()) {
        float[] k = rt.model().forward(s, new long[][] {ids}, new ForwardHooks().captureMlpKeys(2), null).mlpKeys().get(2).toFloatArray();
        for (int p = 0; p < ids.length; p++) {
          for (int i = 0; i < m; i++) {
            sum[i] += k[p * m + i];
            sq[i] += (double) k[p * m + i] * k[p * m + i];
          }
          cross += (double) k[p * m] * k[p * m + 1];
        }
        n += ids.length;
      }
    }
    assertEquals(n, st.count());
    assertEquals(n, st.keys(2).size(), "every token's key is in the sample (below the limit)");
    double[][] c = st.secondMoment(2);
    double[] var = st.variance(2);
    for (int i = 0; i < m; i++) {
      double mean = sum[i] / n;
      assertEquals(sq[i] / n, c[i][i], 1e-4 * Math.max(1, sq[i] / n));
      assertEquals(Math.max(sq[i] / n - mean * mean, 1e-6), var[i], 1e-4 * Math.max(1e-3, var[i]));
    }
    assertEquals(cross / n, c[0][1], 1e-4 * Math.max(1, Math.abs(cross / n)));
    assertEquals(c[0][1], c[1][0], 1e-6, "symmetric");
  }

  @Test
  void cacheRoundTripsAndIsKeyedByTheWeightsTheKeysDependOn(@TempDir Path dir) throws Exception {
    CovarianceStats first = CovarianceStats.loadOrCollect(rt.model(), rt.tokenizer(), LAYERS, TEXTS, dir);
    try (var files = Files.list(dir)) {
      assertEquals(1, files.filter(p -> p.toString().endsWith(".safetensors")).count());
    }
    CovarianceStats again = CovarianceStats.loadOrCollect(rt.model(), rt.tokenizer(), LAYERS, TEXTS, dir);
    assertEquals(first.fingerprint(), again.fingerprint());
    assertEquals(first.count(), again.count());
    // Exactly the same numbers, not nearly: a MEMIT edit solved from statistics just collected must be the edit solved
    // from the same statistics read back, or a run's results depend on what the cache held when it started.
    for (int l : LAYERS) {
      assertArrayEquals(first.mean(l), again.mean(l), 0.0);
      assertArrayEquals(first.variance(l), again.variance(l), 0.0);
      double[][] collected = first.secondMoment(l);
      double[][] read = again.secondMoment(l);
      for (int i = 0; i < collected.length; i++) assertArrayEquals(collected[i], read[i], 0.0, "second moment row " + i);
      assertArrayEquals(first.keys(l).get(5), again.keys(l).get(5));
    }
    assertNotEquals(first.fingerprint(), CovarianceStats.fingerprint(rt.model(), LAYERS, List.of("other text")), "texts are part of the key");
    assertNotEquals(first.fingerprint(), CovarianceStats.fingerprint(rt.model(), List.of(1), TEXTS), "layers are part of the key");

    // A weight the keys depend on (layer ≤ 2) changes the fingerprint; one above the band does not.
    String below = LlamaModel.layerWeight(0, "mlp.up_proj.weight");
    String above = LlamaModel.layerWeight(3, "mlp.up_proj.weight");
    assertNotEquals(first.fingerprint(), fingerprintWithNudged(below));
    assertEquals(first.fingerprint(), fingerprintWithNudged(above));
  }

  private static String fingerprintWithNudged(String weight) {
    NDArray w = rt.model().weight(weight);
    float[] original = w.toFloatArray();
    float[] nudged = original.clone();
    nudged[0] += 1e-3f;
    try (NDManager m = rt.model().manager().newSubManager()) {
      rt.model().setWeight(weight, m.create(nudged, w.getShape()));
      return CovarianceStats.fingerprint(rt.model(), LAYERS, TEXTS);
    } finally {
      try (NDManager m = rt.model().manager().newSubManager()) {
        rt.model().setWeight(weight, m.create(original, w.getShape()));
      }
    }
  }
}
