package io.somnus.engine.memory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * AlphaEdit-style hard constraint: per layer, a projector P onto the part of key space that
 * preserved keys do not use. Confining the update to P's range (ΔW = U·(P A⁻¹ P K)ᵀ, see
 * {@link KeyRegulariser#projected}) gives ΔW·k ≈ 0 for every preserved key k, so a write or refresh cannot
 * disturb what it was told to protect — unlike the reference's soft zero-target rows (spec §5),
 * which protect only up to the ridge trade-off.
 *
 * <p>Two kinds of preserved keys, treated differently on purpose:
 *
 * <ul>
 *   <li><b>protected keys</b> (healthy facts' keys): their whole span is removed, exactly, however
 *       few of them there are — a fact is one key, and one key must be enough to protect it;
 *   <li><b>generic keys</b> (a sample of ordinary text): only their dominant directions are removed,
 *       the eigenvectors of their uncentred second moment G = (1/n) Σ k kᵀ with eigenvalue above
 *       {@code relativeThreshold} × the largest. Removing all of them would leave nothing free;
 *       the weak directions are what text barely uses, where an edit does the least collateral
 *       damage (AlphaEdit keeps eigenvalues below an absolute 1e-2 of K₀K₀ᵀ; a relative threshold
 *       does not depend on the activation scale of a particular model).
 * </ul>
 *
 * The eigen-decomposition of G (m×m, m = MLP width) is done on the host in double precision with
 * cyclic Jacobi ({@link HostMatrix#symmetricEigen}); fine for m ≤ ~1024, the tiny models' width.
 * The projector is stored as an orthonormal basis B of the removed subspace, P k = k − B (Bᵀ k).
 */
public final class NullSpaceProjector {
  private final Map<Integer, double[][]> removedBasis;
  private final Map<Integer, Integer> width;

  private NullSpaceProjector(Map<Integer, double[][]> removedBasis, Map<Integer, Integer> width) {
    this.removedBasis = removedBasis;
    this.width = width;
  }

  /**
   * @param generic per layer, keys of ordinary text (may be empty for a layer)
   * @param protectedKeys per layer, keys whose outputs must not change (may be empty for a layer)
   * @param relativeThreshold generic directions with eigenvalue above this fraction of the largest
   *     are removed, e.g. 1e-2
   */
  public static NullSpaceProjector build(Map<Integer, List<float[]>> generic, Map<Integer, List<float[]>> protectedKeys,
      double relativeThreshold) {
    return generic(generic, relativeThreshold).withProtected(protectedKeys);
  }

  /**
   * Only the generic part (the costly eigen-decomposition); add protected keys with
   * {@link #withProtected}, which is cheap, as often as the set of healthy facts changes.
   */
  public static NullSpaceProjector generic(Map<Integer, List<float[]>> generic, double relativeThreshold) {
    if (!(relativeThreshold > 0 && relativeThreshold <= 1)) throw new IllegalArgumentException("relativeThreshold must be in (0, 1]");
    Map<Integer, double[][]> bases = new LinkedHashMap<>();
    Map<Integer, Integer> widths = new LinkedHashMap<>();
    for (Map.Entry<Integer, List<float[]>> e : new java.util.TreeMap<>(generic).entrySet()) {
      int layer = e.getKey();
      List<float[]> gen = e.getValue();
      if (gen.isEmpty()) continue;
      int m = gen.get(0).length;
      double[][] g = new double[m][m];
      for (float[] k : gen) {
        double[] kd = toDouble(k, m, layer);
        for (int i = 0; i < m; i++) {
          if (kd[i] == 0) continue;
          for (int j = 0; j < m; j++) g[i][j] += kd[i] * kd[j] / gen.size();
        }
      }
      double[] values = new double[m];
      double[][] vecs = HostMatrix.symmetricEigen(g, values);
      double max = 0;
      for (double v : values) max = Math.max(max, v);
      List<double[]> basis = new ArrayList<>();
      for (int i = 0; i < m; i++) if (values[i] > relativeThreshold * max) addDirection(basis, vecs[i]);
      bases.put(layer, basis.toArray(new double[0][]));
      widths.put(layer, m);
    }
    return new NullSpaceProjector(bases, widths);
  }

  /**
   * This projector with the whole span of {@code protectedKeys} removed as well (exactly: the
   * removed subspace is spanned by the generic directions and the protected keys, whatever the
   * order they are added in).
   */
  public NullSpaceProjector withProtected(Map<Integer, List<float[]>> protectedKeys) {
    Set<Integer> layers = new TreeSet<>(removedBasis.keySet());
    layers.addAll(protectedKeys.keySet());
    Map<Integer, double[][]> bases = new LinkedHashMap<>();
    Map<Integer, Integer> widths = new LinkedHashMap<>();
    for (int layer : layers) {
      List<float[]> prot = protectedKeys.getOrDefault(layer, List.of());
      double[][] old = removedBasis.get(layer);
      if (old == null && prot.isEmpty()) continue;
      int m = old != null ? width.get(layer) : prot.get(0).length;
      List<double[]> basis = new ArrayList<>(old == null ? List.of() : List.of(old));
      for (float[] k : prot) addDirection(basis, toDouble(k, m, layer));
      bases.put(layer, basis.toArray(new double[0][]));
      widths.put(layer, m);
    }
    return new NullSpaceProjector(bases, widths);
  }

  /** Gram–Schmidt step: adds the part of {@code v} orthogonal to the basis, if it is not negligible. */
  private static void addDirection(List<double[]> basis, double[] v0) {
    double norm0 = Math.sqrt(HostMatrix.dot(v0, v0));
    if (norm0 == 0) return;
    double[] v = v0.clone();
    for (int pass = 0; pass < 2; pass++) { // twice is enough for orthogonality in floating point
      for (double[] b : basis) {
        double d = HostMatrix.dot(v, b);
        for (int i = 0; i < v.length; i++) v[i] -= d * b[i];
      }
    }
    double n = Math.sqrt(HostMatrix.dot(v, v));
    if (n < 1e-8 * norm0) return; // already in the span
    for (int i = 0; i < v.length; i++) v[i] /= n;
    basis.add(v);
  }

  private static double[] toDouble(float[] k, int m, int layer) {
    if (k.length != m) throw new IllegalArgumentException("keys of layer " + layer + " differ in width: " + k.length + " vs " + m);
    double[] d = new double[m];
    for (int i = 0; i < m; i++) {
      if (!Float.isFinite(k[i])) throw new IllegalArgumentException("non-finite key at layer " + layer);
      d[i] = k[i];
    }
    return d;
  }

  /** True when this projector constrains {@code layer}. */
  public boolean covers(int layer) {
    return removedBasis.containsKey(layer);
  }

  /** P·k for a key of {@code layer}. */
  public double[] project(int layer, double[] key) {
    double[][] b = removedBasis.get(layer);
    if (b == null) throw new IllegalArgumentException("no projector for layer " + layer);
    if (key.length != width.get(layer)) throw new IllegalArgumentException("key width " + key.length + " != " + width.get(layer));
    double[] out = key.clone();
    for (double[] dir : b) {
      double d = HostMatrix.dot(key, dir);
      for (int i = 0; i < out.length; i++) out[i] -= d * dir[i];
    }
    return out;
  }

  /** Dimensions of key space left free for new edits at {@code layer}. */
  public int freeDimensions(int layer) {
    double[][] b = removedBasis.get(layer);
    return b == null ? 0 : width.get(layer) - b.length;
  }
}
