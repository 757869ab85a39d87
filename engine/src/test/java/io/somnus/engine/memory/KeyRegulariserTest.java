package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyRegulariserTest {
  /**
   * A second moment of few keys (rank 4 in 32 dimensions) left slightly indefinite, as float rounding of collected
   * statistics can leave it, by more than the first ridge covers: the full regulariser still factors it, with the
   * smallest ridge that does (a wake write on somnus-tiny after three sleeps failed here).
   */
  @Test
  void aSlightlyIndefiniteSecondMomentIsInvertedWithTheSmallestRidgeThatFactorsIt() {
    int m = 32;
    SplittableRandom r = new SplittableRandom(11);
    double[][] keys = new double[4][m];
    for (double[] k : keys) for (int i = 0; i < m; i++) k[i] = 30 * r.nextGaussian();
    double[][] c = new double[m][m];
    for (double[] k : keys) for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) c[i][j] += k[i] * k[j] / keys.length;
    double trace = 0;
    for (int i = 0; i < m; i++) trace += c[i][i];
    // a direction no key uses, pushed below zero by five times the first ridge
    double[] u = new double[m];
    for (int i = 0; i < m; i++) u[i] = r.nextGaussian();
    for (double[] k : keys) {
      double dot = 0, norm = 0;
      for (int i = 0; i < m; i++) {
        dot += u[i] * k[i];
        norm += k[i] * k[i];
      }
      for (int i = 0; i < m; i++) u[i] -= dot / norm * k[i];
    }
    double len = 0;
    for (double x : u) len += x * x;
    len = Math.sqrt(len);
    double dip = 5 * KeyRegulariser.RIDGES[0] * trace / m;
    for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) c[i][j] -= dip * u[i] / len * u[j] / len;
    assertNull(HostMatrix.cholesky(withRidge(c, KeyRegulariser.RIDGES[0] * trace / m)), "the case: the first ridge does not make it factor");

    KeyRegulariser reg = KeyRegulariser.full(c, 900);
    double[] out = reg.inverseTimes(keys[0]);
    double[] expected = HostMatrix.choleskySolve(HostMatrix.cholesky(withRidge(scaled(c, 900), 900 * KeyRegulariser.RIDGES[1] * trace / m)),
        new double[][] {keys[0]})[0];
    double diff = 0, norm = 0;
    for (int i = 0; i < m; i++) {
      diff += (out[i] - expected[i]) * (out[i] - expected[i]);
      norm += expected[i] * expected[i];
    }
    assertEquals(0, Math.sqrt(diff / norm), 1e-6, "(λ(C + εI))⁻¹k with the second ridge");
  }

  private static double[][] withRidge(double[][] c, double eps) {
    double[][] out = new double[c.length][];
    for (int i = 0; i < c.length; i++) {
      out[i] = c[i].clone();
      out[i][i] += eps;
    }
    return out;
  }

  private static double[][] scaled(double[][] c, double f) {
    double[][] out = new double[c.length][c.length];
    for (int i = 0; i < c.length; i++) for (int j = 0; j < c.length; j++) out[i][j] = f * c[i][j];
    return out;
  }

  @Test
  void nonFiniteStatisticsAreRefusedWithTheReason() {
    double[][] c = {{1, 0}, {0, Double.NaN}};
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> KeyRegulariser.full(c, 1));
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
  }
}
