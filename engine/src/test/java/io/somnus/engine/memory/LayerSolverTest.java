package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The N×N Woodbury solve against the direct m×m ridge solution, on small random problems. */
class LayerSolverTest {
  static double[][] random(int rows, int cols, SplittableRandom r) {
    double[][] a = new double[rows][cols];
    for (double[] row : a) for (int j = 0; j < cols; j++) row[j] = r.nextGaussian();
    return a;
  }

  /** A random SPD m×m "second moment": (1/n) Σ k kᵀ over n > m random keys. */
  static double[][] secondMoment(int m, SplittableRandom r) {
    double[][] ks = random(3 * m, m, r);
    double[][] c = new double[m][m];
    for (double[] k : ks) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) c[i][j] += k[i] * k[j] / ks.length;
    return c;
  }

  /** Direct form ΔW = Yᵀ K (KᵀK + λC)⁻¹, via Gauss–Jordan on the m×m system (test-only, independent code). */
  static double[][] dense(double[][] k, double[][] yT, double lambda, double[][] c) {
    int n = k.length;
    int m = k[0].length;
    int d = yT.length;
    double[][] a = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        double s = lambda * c[i][j];
        for (int r = 0; r < n; r++) s += k[r][i] * k[r][j];
        a[i][j] = s;
      }
    }
    double[][] inv = invert(a);
    double[][] ytk = new double[d][m];
    for (int j = 0; j < d; j++) for (int c2 = 0; c2 < m; c2++) for (int r = 0; r < n; r++) ytk[j][c2] += yT[j][r] * k[r][c2];
    double[][] out = new double[d][m];
    for (int j = 0; j < d; j++) for (int c2 = 0; c2 < m; c2++) for (int x = 0; x < m; x++) out[j][c2] += ytk[j][x] * inv[x][c2];
    return out;
  }

  static double[][] invert(double[][] a0) {
    int n = a0.length;
    double[][] a = new double[n][2 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a0[i], 0, a[i], 0, n);
      a[i][n + i] = 1;
    }
    for (int col = 0; col < n; col++) {
      int piv = col;
      for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
      double[] t = a[col];
      a[col] = a[piv];
      a[piv] = t;
      double p = a[col][col];
      for (int j = 0; j < 2 * n; j++) a[col][j] /= p;
      for (int r = 0; r < n; r++) {
        if (r == col) continue;
        double f = a[r][col];
        for (int j = 0; j < 2 * n; j++) a[r][j] -= f * a[col][j];
      }
    }
    double[][] inv = new double[n][n];
    for (int i = 0; i < n; i++) System.arraycopy(a[i], n, inv[i], 0, n);
    return inv;
  }

  static void assertClose(double[][] expected, LayerDelta got, double tol) {
    float[] dense = got.dense();
    double scale = 0;
    for (double[] row : expected) for (double x : row) scale = Math.max(scale, Math.abs(x));
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[0].length; j++) {
        assertEquals(expected[i][j], dense[i * got.cols() + j], tol * scale, "ΔW[" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void woodburyEqualsDenseRidgeForEveryRegulariser() {
    SplittableRandom r = new SplittableRandom(3);
    int n = 5, m = 12, d = 7;
    double lambda = 0.3;
    double[][] k = random(n, m, r);
    double[][] yT = random(d, n, r);
    double[][] c = secondMoment(m, r);
    double[][] identity = new double[m][m];
    for (int i = 0; i < m; i++) identity[i][i] = 1;
    double[] variance = new double[m];
    double[][] diag = new double[m][m];
    for (int i = 0; i < m; i++) {
      variance[i] = 0.5 + r.nextDouble();
      diag[i][i] = variance[i];
    }
    assertClose(dense(k, yT, lambda, identity), LayerSolver.solve("w", k, yT, KeyRegulariser.identity(lambda)), 1e-5);
    // diagonal() adds the reference's ε = 1e-8 to λσ², negligible here.
    assertClose(dense(k, yT, lambda, diag), LayerSolver.solve("w", k, yT, KeyRegulariser.diagonal(variance, lambda)), 1e-5);
    // full() adds a 1e-6·mean(diag) ridge for invertibility; compare with the same C.
    double[][] cEps = new double[m][];
    double trace = 0;
    for (int i = 0; i < m; i++) trace += c[i][i];
    for (int i = 0; i < m; i++) {
      cEps[i] = c[i].clone();
      cEps[i][i] += 1e-6 * trace / m;
    }
    assertClose(dense(k, yT, lambda, cEps), LayerSolver.solve("w", k, yT, KeyRegulariser.full(c, lambda)), 1e-5);
  }

  @Test
  void solutionFitsTargetsWhenTheRegulariserIsSmall() {
    // λ → 0: exact interpolation K ΔWᵀ = Y (what the reference's tiny λσ² amounts to, spec §4.6).
    SplittableRandom r = new SplittableRandom(5);
    double[][] k = random(4, 20, r);
    double[][] yT = random(6, 4, r);
    LayerDelta delta = LayerSolver.solve("w", k, yT, KeyRegulariser.identity(1e-6));
    for (int i = 0; i < k.length; i++) {
      double[] out = LayerSolver.apply(delta, k[i]);
      for (int j = 0; j < yT.length; j++) assertEquals(yT[j][i], out[j], 1e-4);
    }
    assertEquals(4, delta.rank(), "rank = number of keys");
  }

  @Test
  void lowRankPlusDiagonalIsExactForALowRankPlusDiagonalMatrix() {
    SplittableRandom r = new SplittableRandom(9);
    int m = 16, rank = 3;
    double[][] q = random(rank, m, r);
    double[][] c = new double[m][m];
    for (double[] v : q) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) c[i][j] += 4 * v[i] * v[j];
    for (int i = 0; i < m; i++) c[i][i] += 0.01;
    double[][] k = random(3, m, r);
    double[][] yT = random(5, 3, r);
    LayerDelta viaLowRank = LayerSolver.solve("w", k, yT, KeyRegulariser.lowRankPlusDiagonal(c, rank, 0.1));
    LayerDelta viaFull = LayerSolver.solve("w", k, yT, KeyRegulariser.full(c, 0.1));
    double[][] full = new double[5][m];
    float[] fd = viaFull.dense();
    for (int i = 0; i < 5; i++) for (int j = 0; j < m; j++) full[i][j] = fd[i * m + j];
    // Rank 3 plus isotropic noise is exactly representable: the two solves agree.
    assertClose(full, viaLowRank, 1e-4);
  }

  @Test
  void nonFiniteKeysAreAClearError() {
    double[][] k = {{1, Double.NaN}, {0, 1}};
    double[][] yT = {{1, 0}};
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> LayerSolver.solve("model.layers.1.mlp.down_proj.weight", k, yT, KeyRegulariser.identity(0.1)));
    assertTrue(e.getMessage().contains("model.layers.1.mlp.down_proj.weight"), e.getMessage());
  }

  @Test
  void duplicateKeysWithConflictingTargetsAndNoRegularisationAreIllConditioned() {
    double[][] k = {{1e6, 2e6, 3e6}, {1e6, 2e6, 3e6}};
    double[][] yT = {{1, -1}};
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> LayerSolver.solve("w", k, yT, KeyRegulariser.identity(1e-30)));
    assertTrue(e.getMessage().contains("ill-conditioned"), e.getMessage());
  }

  @Test
  void addingTwoFactoredDeltasIsTheSumOfTheirDenseForms() {
    LayerDelta a = new LayerDelta("w", 3, 2, 1, new float[] {1, 2, 3}, new float[] {1, -1});
    LayerDelta b = new LayerDelta("w", 3, 2, 2, new float[] {0, 1, 2, 0, 1, 1}, new float[] {1, 2, 3, 4});
    LayerDelta sum = a.plus(b);
    assertEquals(3, sum.rank());
    float[] da = a.dense();
    float[] db = b.dense();
    float[] ds = sum.dense();
    for (int i = 0; i < ds.length; i++) assertEquals(da[i] + db[i], ds[i], 1e-6f, "entry " + i);
    assertThrows(IllegalArgumentException.class, () -> a.plus(new LayerDelta("other", 3, 2, 1, new float[3], new float[2])));
    float[] half = a.scaled(0.5f).dense();
    for (int i = 0; i < half.length; i++) assertEquals(0.5f * da[i], half[i], 1e-6f, "scaled entry " + i);
  }
}
