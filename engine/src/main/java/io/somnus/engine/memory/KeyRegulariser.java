package io.somnus.engine.memory;

/**
 * The inverse of MEMIT's regulariser, {@code (λ·C)⁻¹}, applied to key vectors. MEMIT's per-layer
 * problem is {@code min ‖K ΔWᵀ − Y‖² + λ·tr(ΔW C ΔWᵀ)}; C says which key directions ordinary text
 * uses (so changing the layer's response there is expensive), λ trades the fit against that cost.
 * The solve ({@link LayerSolver}) only ever needs {@code (λC)⁻¹ k} for the N keys being written, so
 * this is the whole interface.
 */
interface KeyRegulariser {
  /** {@code (λC)⁻¹ k}; never modifies {@code key}. */
  double[] inverseTimes(double[] key);

  /** C = I: plain ridge (used with null-space projected keys, whose subspace C cannot describe). */
  static KeyRegulariser identity(double lambda) {
    checkLambda(lambda);
    return k -> {
      double[] out = new double[k.length];
      for (int i = 0; i < k.length; i++) out[i] = k[i] / lambda;
      return out;
    };
  }

  /** C = diag(σ²), the reference's choice (D_j = λσ²_j + 1e-8). */
  static KeyRegulariser diagonal(double[] variance, double lambda) {
    checkLambda(lambda);
    double[] inv = new double[variance.length];
    for (int i = 0; i < inv.length; i++) inv[i] = 1 / (lambda * variance[i] + 1e-8);
    return k -> {
      double[] out = new double[k.length];
      for (int i = 0; i < k.length; i++) out[i] = k[i] * inv[i];
      return out;
    };
  }

  /**
   * Ridges ε tried in turn for {@link #full}, as multiples of mean(diag C). The first keeps dimensions that the reference
   * text never activates invertible; the larger ones cover a nearly singular C that float rounding (the statistics are
   * collected and cached in float) left slightly indefinite, by more than the first can absorb.
   */
  double[] RIDGES = {1e-6, 1e-5, 1e-4, 1e-3};

  /** C = E[kkᵀ] (m×m), via a Cholesky factor of λC + εI with the smallest ridge ε of {@link #RIDGES} that factors. */
  static KeyRegulariser full(double[][] secondMoment, double lambda) {
    checkLambda(lambda);
    int m = secondMoment.length;
    double trace = 0;
    for (int i = 0; i < m; i++) trace += secondMoment[i][i];
    if (!Double.isFinite(trace)) throw new IllegalStateException("key second moment has non-finite entries: the model's keys overflow");
    double scale = Math.max(trace / m, 1e-12);
    for (double ridge : RIDGES) {
      double eps = ridge * scale;
      double[][] reg = new double[m][m];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) reg[i][j] = lambda * secondMoment[i][j];
        reg[i][i] += lambda * eps;
      }
      double[][] l = HostMatrix.cholesky(reg);
      if (l != null) return k -> HostMatrix.choleskySolve(l, new double[][] {k})[0];
    }
    throw new IllegalStateException("key second moment is not positive definite even with a " + RIDGES[RIDGES.length - 1] * scale
        + " ridge (" + RIDGES[RIDGES.length - 1] + " of its mean diagonal)");
  }

  /**
   * C ≈ Q (Λ − δ) Qᵀ + D: the top {@code rank} eigenpairs of E[kkᵀ] above the noise level δ (the
   * mean of the discarded eigenvalues, as in probabilistic PCA) plus the diagonal that remains,
   * floored at 1e-6·mean(diag C). Exact for "low rank + isotropic noise", and its diagonal equals
   * C's. Needs only m·(rank + 1) numbers per layer, so it is the form for wide MLPs where an m×m
   * matrix per layer does not fit. Inverted with Woodbury:
   * (λC)⁻¹ = (λD)⁻¹ − (λD)⁻¹Q ((λ(Λ−δ))⁻¹ + Qᵀ(λD)⁻¹Q)⁻¹ Qᵀ(λD)⁻¹.
   */
  static KeyRegulariser lowRankPlusDiagonal(double[][] secondMoment, int rank, double lambda) {
    checkLambda(lambda);
    int m = secondMoment.length;
    int r = Math.min(rank, m);
    double[] values = new double[r];
    double[][] q = HostMatrix.topEigenvectors(secondMoment, r, values); // rows = eigenvectors
    double trace = 0;
    for (int i = 0; i < m; i++) trace += secondMoment[i][i];
    double floor = 1e-6 * Math.max(trace / m, 1e-12);
    double kept = 0;
    for (double v : values) kept += v;
    double noise = r < m ? Math.max(0, (trace - kept) / (m - r)) : 0;
    for (int a = 0; a < r; a++) values[a] = Math.max(values[a] - noise, 0);
    double[] dInv = new double[m];
    for (int i = 0; i < m; i++) {
      double explained = 0;
      for (int a = 0; a < r; a++) explained += values[a] * q[a][i] * q[a][i];
      dInv[i] = 1 / (lambda * Math.max(secondMoment[i][i] - explained, floor));
    }
    // Inner r×r matrix Λ⁻¹/λ + Qᵀ(λD)⁻¹Q, factored once.
    double[][] inner = new double[r][r];
    for (int a = 0; a < r; a++) {
      for (int b = 0; b <= a; b++) {
        double s = 0;
        for (int i = 0; i < m; i++) s += q[a][i] * dInv[i] * q[b][i];
        inner[a][b] = s;
        inner[b][a] = s;
      }
      inner[a][a] += 1 / (lambda * Math.max(values[a], floor));
    }
    double[][] l = HostMatrix.cholesky(inner);
    if (l == null) throw new IllegalStateException("low-rank key covariance is not positive definite");
    return k -> {
      double[] dk = new double[m];
      for (int i = 0; i < m; i++) dk[i] = dInv[i] * k[i];
      double[] qdk = new double[r];
      for (int a = 0; a < r; a++) {
        double s = 0;
        for (int i = 0; i < m; i++) s += q[a][i] * dk[i];
        qdk[a] = s;
      }
      double[] z = HostMatrix.choleskySolve(l, new double[][] {qdk})[0];
      double[] out = dk;
      for (int i = 0; i < m; i++) {
        double s = 0;
        for (int a = 0; a < r; a++) s += q[a][i] * z[a];
        out[i] -= dInv[i] * s;
      }
      return out;
    };
  }

  /**
   * P (λC)⁻¹ P for a null-space projector P: the solve's V = P (λC)⁻¹ P Kᵀ lies in P's range, so
   * ΔW = U Vᵀ maps every key P removes to exactly zero, while the fit keeps the covariance
   * weighting (AlphaEdit's identity regulariser would make the fit depend on the keys' raw scale).
   */
  static KeyRegulariser projected(KeyRegulariser inner, NullSpaceProjector projector, int layer) {
    return k -> projector.project(layer, inner.inverseTimes(projector.project(layer, k)));
  }

  /** The regulariser {@code kind} asks for, from {@code stats} at {@code layer}. */
  static KeyRegulariser of(CovarianceStats stats, int layer, MemitConfig config) {
    return switch (config.covariance()) {
      case IDENTITY -> identity(config.lambda());
      case DIAGONAL -> diagonal(stats.variance(layer), config.lambda());
      case FULL -> full(stats.secondMoment(layer), config.lambda());
      case LOW_RANK_PLUS_DIAGONAL -> lowRankPlusDiagonal(stats.secondMoment(layer), config.covarianceRank(), config.lambda());
    };
  }

  private static void checkLambda(double lambda) {
    if (!(lambda > 0) || !Double.isFinite(lambda)) throw new IllegalArgumentException("λ must be positive and finite, got " + lambda);
  }
}
