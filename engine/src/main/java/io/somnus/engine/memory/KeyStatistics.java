package io.somnus.engine.memory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Second-moment statistics of MLP keys (down_proj inputs) over reference text, per layer. They
 * define what "unusual" directions are: a MEMIT update regularised by them changes the layer's
 * output least on the keys ordinary text produces. Also keeps a sample of the keys themselves,
 * which the null-space projector protects.
 */
public final class KeyStatistics {
  private final Map<Integer, double[][]> secondMoment = new HashMap<>();
  private final Map<Integer, double[]> variance = new HashMap<>();
  private final Map<Integer, List<float[]>> sample = new HashMap<>();
  private final int count;

  private KeyStatistics(int count) {
    this.count = count;
  }

  /** Runs every text through the model (with BOS) and accumulates keys at every position. */
  public static KeyStatistics collect(ModelRuntime rt, List<Integer> layers, List<String> texts) {
    int m = rt.config().intermediateSize();
    Map<Integer, double[][]> sums = new HashMap<>();
    Map<Integer, double[]> means = new HashMap<>();
    Map<Integer, List<float[]>> keys = new HashMap<>();
    for (int l : layers) {
      sums.put(l, new double[m][m]);
      means.put(l, new double[m]);
      keys.put(l, new ArrayList<>());
    }
    int n = 0;
    int[] ls = layers.stream().mapToInt(Integer::intValue).toArray();
    for (String text : texts) {
      long[] ids = rt.tokenizer().encode(text);
      try (NDManager scope = rt.model().manager().newSubManager()) {
        ForwardResult r = rt.model().forward(scope, new long[][] {ids}, new ForwardHooks().captureMlpKeys(ls).stopAfter(ls[ls.length - 1]), null);
        for (int l : layers) {
          NDArray k = r.mlpKeys().get(l);
          float[] flat = k.toFloatArray();
          double[][] s = sums.get(l);
          double[] mu = means.get(l);
          for (int t = 0; t < ids.length; t++) {
            float[] row = new float[m];
            System.arraycopy(flat, t * m, row, 0, m);
            keys.get(l).add(row);
            for (int i = 0; i < m; i++) {
              mu[i] += row[i];
              if (row[i] == 0f) continue;
              double ri = row[i];
              double[] si = s[i];
              for (int j = 0; j < m; j++) si[j] += ri * row[j];
            }
          }
        }
      }
      n += ids.length;
    }
    KeyStatistics st = new KeyStatistics(n);
    for (int l : layers) {
      double[][] s = sums.get(l);
      double[] mu = means.get(l);
      double[] var = new double[m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) s[i][j] /= n;
        mu[i] /= n;
        var[i] = Math.max(s[i][i] - mu[i] * mu[i], 1e-6);
      }
      st.secondMoment.put(l, s);
      st.variance.put(l, var);
      st.sample.put(l, keys.get(l));
    }
    return st;
  }

  public int count() {
    return count;
  }

  /** E[kkᵀ] at layer l, m×m. */
  public double[][] secondMoment(int layer) {
    return require(secondMoment, layer);
  }

  /** Per-dimension variance at layer l (floored at 1e-6, as the reference). */
  public double[] variance(int layer) {
    return require(variance, layer);
  }

  /** Keys of the reference text at layer l, one per token. */
  public List<float[]> keys(int layer) {
    return require(sample, layer);
  }

  private static <T> T require(Map<Integer, T> map, int layer) {
    T v = map.get(layer);
    if (v == null) throw new IllegalArgumentException("no key statistics for layer " + layer);
    return v;
  }
}
