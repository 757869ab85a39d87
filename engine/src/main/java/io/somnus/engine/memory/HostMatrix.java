package io.somnus.engine.memory;

/**
 * Small dense linear algebra on the host in double precision. The systems MEMIT solves are N×N
 * (N = facts + constraint keys, a few hundred at most) or m×m once per layer, where double-precision
 * Cholesky on the host is both exact enough and faster than a round trip through the engine.
 */
final class HostMatrix {
  private HostMatrix() {}

  /** A·Bᵀ for row-major A [n×k], B [m×k]. */
  static double[][] timesTransposed(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        double s = 0;
        double[] ai = a[i];
        double[] bj = b[j];
        for (int k = 0; k < ai.length; k++) s += ai[k] * bj[k];
        out[i][j] = s;
      }
    }
    return out;
  }

  /**
   * Cholesky factor L (lower) of a symmetric positive definite matrix, or null when the matrix is
   * not numerically positive definite (the caller then reports an ill-conditioned solve).
   */
  static double[][] cholesky(double[][] s) {
    int n = s.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double sum = s[i][j];
        for (int k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
        if (i == j) {
          if (!(sum > 1e-12 * Math.max(1, Math.abs(s[i][i])))) return null;
          l[i][i] = Math.sqrt(sum);
        } else {
          l[i][j] = sum / l[j][j];
        }
      }
    }
    return l;
  }

  /** Solves L·Lᵀ·X = B for X, B given as columns-in-rows: b[c] is the c-th right-hand side of length n. */
  static double[][] choleskySolve(double[][] l, double[][] b) {
    int n = l.length;
    double[][] x = new double[b.length][];
    for (int c = 0; c < b.length; c++) {
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        double s = b[c][i];
        for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
        y[i] = s / l[i][i];
      }
      double[] z = new double[n];
      for (int i = n - 1; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < n; k++) s -= l[k][i] * z[k];
        z[i] = s / l[i][i];
      }
      x[c] = z;
    }
    return x;
  }

  /** Inverse of an SPD matrix via Cholesky, or null when not positive definite. */
  static double[][] spdInverse(double[][] s) {
    double[][] l = cholesky(s);
    if (l == null) return null;
    int n = s.length;
    double[][] id = new double[n][n];
    for (int i = 0; i < n; i++) id[i][i] = 1;
    return choleskySolve(l, id); // rows of the result are columns of S⁻¹, equal by symmetry
  }

  /**
   * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: returns eigenvalues in
   * {@code values} and eigenvectors as rows of the result. O(n³) per sweep; fine for n ≤ ~1000.
   */
  static double[][] symmetricEigen(double[][] a0, double[] values) {
    int n = a0.length;
    double[][] a = new double[n][];
    for (int i = 0; i < n; i++) a[i] = a0[i].clone();
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) v[i][i] = 1;
    for (int sweep = 0; sweep < 60; sweep++) {
      double off = 0;
      for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
      if (off < 1e-22) break;
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          if (Math.abs(a[p][q]) < 1e-300) continue;
          double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) t = 1;
          double c = 1 / Math.sqrt(t * t + 1);
          double s = t * c;
          for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
          }
          for (int k = 0; k < n; k++) {
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
          }
          for (int k = 0; k < n; k++) {
            double vpk = v[p][k];
            double vqk = v[q][k];
            v[p][k] = c * vpk - s * vqk;
            v[q][k] = s * vpk + c * vqk;
          }
        }
      }
    }
    for (int i = 0; i < n; i++) values[i] = a[i][i];
    return v;
  }

  /**
   * The {@code r} largest eigenpairs of a symmetric positive semi-definite matrix by subspace
   * (block power) iteration with Gram–Schmidt and a final Rayleigh–Ritz step: O(m²·r) per
   * iteration instead of a full O(m³) decomposition, which is what makes the low-rank covariance
   * usable for wide MLPs. Eigenvectors are returned as rows, values in {@code values}, descending.
   */
  static double[][] topEigenvectors(double[][] a, int r, double[] values) {
    int m = a.length;
    java.util.SplittableRandom rng = new java.util.SplittableRandom(12345);
    double[][] q = new double[r][m];
    for (double[] row : q) for (int i = 0; i < m; i++) row[i] = rng.nextGaussian();
    orthonormalise(q);
    for (int it = 0; it < 60; it++) {
      q = timesTransposed(q, a); // rows: A·q_a (A symmetric)
      orthonormalise(q);
    }
    // Rayleigh–Ritz: diagonalise QᵀAQ (r×r) and rotate Q accordingly.
    double[][] aq = timesTransposed(q, a);
    double[][] small = timesTransposed(q, aq);
    double[] ev = new double[r];
    double[][] rot = symmetricEigen(small, ev);
    Integer[] order = new Integer[r];
    for (int i = 0; i < r; i++) order[i] = i;
    java.util.Arrays.sort(order, (x, y) -> Double.compare(ev[y], ev[x]));
    double[][] out = new double[r][m];
    for (int k = 0; k < r; k++) {
      int src = order[k];
      values[k] = ev[src];
      for (int b = 0; b < r; b++) {
        double c = rot[src][b];
        if (c == 0) continue;
        for (int i = 0; i < m; i++) out[k][i] += c * q[b][i];
      }
    }
    return out;
  }

  /** Modified Gram–Schmidt on the rows; a row that collapses is replaced by a unit basis vector. */
  static void orthonormalise(double[][] rows) {
    int basis = 0;
    for (int a = 0; a < rows.length; a++) {
      double[] v = rows[a];
      for (int b = 0; b < a; b++) {
        double d = dot(v, rows[b]);
        for (int i = 0; i < v.length; i++) v[i] -= d * rows[b][i];
      }
      double n = Math.sqrt(dot(v, v));
      if (n < 1e-300) {
        java.util.Arrays.fill(v, 0);
        if (basis >= v.length) throw new IllegalArgumentException("more rows than dimensions");
        v[basis++] = 1;
        a--; // re-orthogonalise the replacement against earlier rows
        continue;
      }
      for (int i = 0; i < v.length; i++) v[i] /= n;
    }
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
