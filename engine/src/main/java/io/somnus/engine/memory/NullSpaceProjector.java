package io.somnus.engine.memory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AlphaEdit-style hard constraint: a projector P per layer onto the directions of key space that
 * preserved keys (almost) never use. An update of the form X·P maps every preserved key to ~0, so
 * writing or refreshing one fact cannot disturb the facts and text it was told to protect.
 *
 * <p>Preserved keys come in two kinds: keys of healthy edits, which must be protected exactly
 * (they are weighted far above any threshold), and a sample of generic keys from reference text,
 * whose low-energy directions are left free (eigenvalues below {@code relativeThreshold} × the
 * largest one).
 */
public final class NullSpaceProjector {
  private final Map<Integer, double[][]> projectors = new LinkedHashMap<>();
  private final Map<Integer, Integer> freeDimensions = new LinkedHashMap<>();

  private NullSpaceProjector() {}

  /**
   * @param generic per layer, keys of ordinary text (may be empty)
   * @param protectedKeys per layer, keys that must map to zero exactly (healthy facts' last-token keys)
   */
  public static NullSpaceProjector build(Map<Integer, List<float[]>> generic, Map<Integer, List<float[]>> protectedKeys,
      double relativeThreshold) {
    NullSpaceProjector p = new NullSpaceProjector();
    for (Map.Entry<Integer, List<float[]>> e : generic.entrySet()) {
      int layer = e.getKey();
      List<float[]> gen = e.getValue();
      List<float[]> prot = protectedKeys.getOrDefault(layer, List.of());
      int m = !gen.isEmpty() ? gen.get(0).length : prot.get(0).length;
      double[][] cov = new double[m][m];
      for (float[] k : gen) addOuter(cov, k, 1.0 / gen.size());
      double maxDiag = 0;
      for (int i = 0; i < m; i++) maxDiag = Math.max(maxDiag, cov[i][i]);
      double scaleUp = Math.max(maxDiag, 1e-6) * 1e4;
      for (float[] k : prot) {
        double n2 = 0;
        for (float x : k) n2 += x * x;
        if (n2 > 0) addOuter(cov, k, scaleUp / n2);
      }
      double[] values = new double[m];
      double[][] vecs = HostMatrix.symmetricEigen(cov, values);
      double max = 0;
      for (double v : values) max = Math.max(max, v);
      double[][] proj = new double[m][m];
      int free = 0;
      for (int i = 0; i < m; i++) {
        if (values[i] > relativeThreshold * max) continue;
        free++;
        double[] u = vecs[i];
        for (int a = 0; a < m; a++) {
          if (u[a] == 0) continue;
          for (int b = 0; b < m; b++) proj[a][b] += u[a] * u[b];
        }
      }
      p.projectors.put(layer, proj);
      p.freeDimensions.put(layer, free);
    }
    return p;
  }

  private static void addOuter(double[][] c, float[] k, double w) {
    for (int i = 0; i < k.length; i++) {
      if (k[i] == 0f) continue;
      double ki = k[i] * w;
      for (int j = 0; j < k.length; j++) c[i][j] += ki * k[j];
    }
  }

  /** P·k for a key of {@code layer}. */
  public double[] project(int layer, double[] key) {
    double[][] p = projectors.get(layer);
    if (p == null) throw new IllegalArgumentException("no projector for layer " + layer);
    double[] out = new double[key.length];
    for (int i = 0; i < key.length; i++) {
      double s = 0;
      double[] pi = p[i];
      for (int j = 0; j < key.length; j++) s += pi[j] * key[j];
      out[i] = s;
    }
    return out;
  }

  /** Dimensions of key space left free for new edits at {@code layer}. */
  public int freeDimensions(int layer) {
    return freeDimensions.getOrDefault(layer, 0);
  }
}
