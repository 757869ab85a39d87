package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NullSpaceProjectorTest {
  static float[] key(int m, SplittableRandom r) {
    float[] k = new float[m];
    for (int i = 0; i < m; i++) k[i] = (float) r.nextGaussian();
    return k;
  }

  static double[] toDouble(float[] k) {
    double[] d = new double[k.length];
    for (int i = 0; i < k.length; i++) d[i] = k[i];
    return d;
  }

  static double norm(double[] v) {
    return Math.sqrt(HostMatrix.dot(v, v));
  }

  @Test
  void projectedUpdateLeavesProtectedKeysOutputsUnchangedAndStillWritesTheTarget() {
    SplittableRandom r = new SplittableRandom(1);
    int m = 24;
    List<float[]> protectedKeys = new ArrayList<>();
    for (int i = 0; i < 6; i++) protectedKeys.add(key(m, r));
    // Generic keys concentrated in 4 directions, plus small noise everywhere.
    double[][] dirs = LayerSolverTest.random(4, m, r);
    List<float[]> generic = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      float[] k = new float[m];
      for (double[] dir : dirs) {
        double c = 3 * r.nextGaussian();
        for (int j = 0; j < m; j++) k[j] += (float) (c * dir[j]);
      }
      for (int j = 0; j < m; j++) k[j] += (float) (0.01 * r.nextGaussian());
      generic.add(k);
    }
    NullSpaceProjector p = NullSpaceProjector.build(Map.of(2, generic), Map.of(2, protectedKeys), 1e-2);
    assertEquals(m - 6 - 4, p.freeDimensions(2), "6 protected keys and 4 dominant generic directions removed");

    double[] target = toDouble(key(m, r));
    double[][] k = {p.project(2, target)};
    double[][] yT = LayerSolverTest.random(5, 1, r);
    LayerDelta delta = LayerSolver.solve("w", k, yT, KeyRegulariser.identity(1e-4));
    double wanted = 0;
    for (double[] row : yT) wanted += row[0] * row[0];
    wanted = Math.sqrt(wanted);
    for (float[] pk : protectedKeys) {
      double[] out = LayerSolver.apply(delta, toDouble(pk));
      assertTrue(norm(out) < 1e-4 * wanted, "‖ΔW k‖ for a protected key: " + norm(out) + " vs ‖y‖ " + wanted);
    }
    double[] written = LayerSolver.apply(delta, target);
    for (int j = 0; j < 5; j++) assertEquals(yT[j][0], written[j], 1e-2 * Math.abs(yT[j][0]) + 1e-3, "target output " + j);
  }

  @Test
  void projectionIsIdempotentAndKillsOnlyTheRemovedSubspace() {
    SplittableRandom r = new SplittableRandom(2);
    int m = 10;
    float[] a = key(m, r);
    NullSpaceProjector p = NullSpaceProjector.build(Map.of(), Map.of(0, List.of(a)), 1e-2);
    assertEquals(m - 1, p.freeDimensions(0));
    assertTrue(norm(p.project(0, toDouble(a))) < 1e-5 * norm(toDouble(a)));
    double[] x = toDouble(key(m, r));
    double[] once = p.project(0, x);
    double[] twice = p.project(0, once);
    for (int i = 0; i < m; i++) assertEquals(once[i], twice[i], 1e-12);
    assertThrows(IllegalArgumentException.class, () -> p.project(1, x), "a layer without a projector is an error");
  }
}
