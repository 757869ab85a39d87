package io.somnus.engine.memory;

/**
 * MEMIT's per-layer closed-form update in its small N×N (Woodbury) form.
 *
 * <p>Problem, for one down_proj W [d×m], N keys K [N×m] (rows) and wanted output changes
 * Y [N×d] (rows; zero for constraint keys):
 *
 * <pre>
 *   ΔW = argmin_X ‖K Xᵀ − Y‖²_F + λ·tr(X C Xᵀ)
 * </pre>
 *
 * Setting the gradient to zero: X (KᵀK + λC) = YᵀK, so the m×m form is ΔW = YᵀK (KᵀK + λC)⁻¹.
 * With A = λC, Woodbury gives (A + KᵀK)⁻¹ = A⁻¹ − A⁻¹Kᵀ (I + K A⁻¹ Kᵀ)⁻¹ K A⁻¹, and multiplying
 * by K on the left ("push-through") K (A + KᵀK)⁻¹ = (I + K A⁻¹ Kᵀ)⁻¹ K A⁻¹. Hence
 *
 * <pre>
 *   ΔW = Yᵀ S⁻¹ (K A⁻¹),   S = I_N + K A⁻¹ Kᵀ   (N×N, symmetric positive definite, eigenvalues ≥ 1)
 * </pre>
 *
 * which is the same as the brief's ΔW = R (λI + K C⁻¹ Kᵀ)⁻¹ K C⁻¹ with R = Yᵀ. Only N×N is ever
 * factored (Cholesky), never m×m, and the result is kept factored: U = Yᵀ S⁻¹ [d×N],
 * V = (K A⁻¹)ᵀ [m×N], ΔW = U Vᵀ. Rank ≤ N, so an edit costs (d + m)·N floats per layer.
 */
final class LayerSolver {
  private LayerSolver() {}

  /**
   * @param weightName the down_proj being edited
   * @param keys N×m, one key per row
   * @param wantedT d×N, column i is the output change wanted for key i (Yᵀ)
   * @throws IllegalStateException when S is not numerically positive definite or the solve does
   *     not reproduce its right-hand side (ill-conditioned: duplicate keys with conflicting
   *     targets, non-finite keys); the message names the layer and the key count
   */
  static LayerDelta solve(String weightName, double[][] keys, double[][] wantedT, KeyRegulariser regulariser) {
    int n = keys.length;
    if (n == 0) throw new IllegalArgumentException("no keys to solve for at " + weightName);
    int m = keys[0].length;
    int d = wantedT.length;
    double[][] ka = new double[n][]; // rows: A⁻¹ k_i
    for (int i = 0; i < n; i++) ka[i] = regulariser.inverseTimes(keys[i]);
    double[][] s = HostMatrix.timesTransposed(keys, ka);
    for (int i = 0; i < n; i++) s[i][i] += 1;
    for (double[] row : s) {
      for (double x : row) {
        if (!Double.isFinite(x)) throw new IllegalStateException("MEMIT solve at " + weightName + ": keys or regulariser are not finite");
      }
    }
    double[][] l = HostMatrix.cholesky(s);
    if (l == null) throw new IllegalStateException("MEMIT solve at " + weightName + " is ill-conditioned: S (" + n + "×" + n + ") is not positive definite");
    double[][] ut = HostMatrix.choleskySolve(l, wantedT); // row j: S⁻¹ y_j (S symmetric)
    // Verify the solve: a relative residual above 1e-4 means S was too ill-conditioned for doubles.
    double worst = 0;
    for (int j = 0; j < d; j++) {
      double err = 0;
      double norm = 0;
      for (int i = 0; i < n; i++) {
        double sx = HostMatrix.dot(s[i], ut[j]);
        err += (sx - wantedT[j][i]) * (sx - wantedT[j][i]);
        norm += wantedT[j][i] * wantedT[j][i];
      }
      if (norm > 0) worst = Math.max(worst, Math.sqrt(err / norm));
    }
    if (!(worst <= 1e-4)) {
      throw new IllegalStateException("MEMIT solve at " + weightName + " is ill-conditioned: relative residual " + worst + " with " + n + " keys");
    }
    float[] u = new float[d * n];
    float[] v = new float[m * n];
    for (int j = 0; j < d; j++) for (int r = 0; r < n; r++) u[j * n + r] = (float) ut[j][r];
    for (int c = 0; c < m; c++) for (int r = 0; r < n; r++) v[c * n + r] = (float) ka[r][c];
    return new LayerDelta(weightName, d, m, n, u, v);
  }

  /** ΔW·k for a factored delta, in double. */
  static double[] apply(LayerDelta delta, double[] key) {
    int rank = delta.rank();
    double[] vk = new double[rank];
    for (int c = 0; c < delta.cols(); c++) {
      double kc = key[c];
      if (kc == 0) continue;
      for (int r = 0; r < rank; r++) vk[r] += delta.v()[c * rank + r] * kc;
    }
    double[] out = new double[delta.rows()];
    for (int j = 0; j < delta.rows(); j++) {
      double s = 0;
      for (int r = 0; r < rank; r++) s += delta.u()[j * rank + r] * vk[r];
      out[j] = s;
    }
    return out;
  }
}
