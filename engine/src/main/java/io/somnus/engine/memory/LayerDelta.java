package io.somnus.engine.memory;

import java.util.Arrays;

/**
 * One MEMIT edit's change to one weight matrix, kept in factored form ΔW = U·Vᵀ.
 *
 * <p>MEMIT's solve has rank at most the number of facts in the edit, so storing U [rows × rank] and
 * V [cols × rank] instead of the dense matrix keeps an edit small (an 8-fact edit of a 2048×8192
 * down_proj is 80k floats, not 16M) and lets its scale change without ever re-solving.
 *
 * @param weightName Hugging Face name of the edited weight, e.g. {@code model.layers.5.mlp.down_proj.weight}
 * @param rows rows of the weight (for down_proj: hidden size)
 * @param cols columns of the weight (for down_proj: intermediate size)
 * @param rank shared inner dimension of U and V
 * @param u row-major [rows × rank]
 * @param v row-major [cols × rank]
 */
public record LayerDelta(String weightName, int rows, int cols, int rank, float[] u, float[] v) {
  public LayerDelta {
    if (weightName == null || weightName.isBlank()) throw new IllegalArgumentException("weight name is empty");
    if (rows <= 0 || cols <= 0 || rank <= 0) {
      throw new IllegalArgumentException("delta for " + weightName + " has non-positive dimensions "
          + rows + "×" + cols + " rank " + rank);
    }
    if (u.length != (long) rows * rank || v.length != (long) cols * rank) {
      throw new IllegalArgumentException("delta for " + weightName + ": U has " + u.length + " values, V has "
          + v.length + "; expected " + (long) rows * rank + " and " + (long) cols * rank);
    }
  }

  /** True when every value of U and V is finite; an edit that fails this must never touch weights. */
  public boolean isFinite() {
    for (float x : u) if (!Float.isFinite(x)) return false;
    for (float x : v) if (!Float.isFinite(x)) return false;
    return true;
  }

  /**
   * ΔW + ΔW' of the same weight, still factored: the two U's side by side and the two V's side by side, so the rank
   * is the sum of both ranks (exact; nothing is re-factored).
   */
  public LayerDelta plus(LayerDelta other) {
    if (!other.weightName.equals(weightName) || other.rows != rows || other.cols != cols) {
      throw new IllegalArgumentException("cannot add a delta of " + other.weightName + " " + other.rows + "×" + other.cols
          + " to one of " + weightName + " " + rows + "×" + cols);
    }
    int r = rank + other.rank;
    return new LayerDelta(weightName, rows, cols, r, sideBySide(u, rank, other.u, other.rank, rows),
        sideBySide(v, rank, other.v, other.rank, cols));
  }

  /** s·ΔW (U scaled, V shared). */
  public LayerDelta scaled(float s) {
    if (s == 1f) return this;
    float[] us = u.clone();
    for (int i = 0; i < us.length; i++) us[i] *= s;
    return new LayerDelta(weightName, rows, cols, rank, us, v);
  }

  private static float[] sideBySide(float[] a, int ra, float[] b, int rb, int n) {
    float[] out = new float[n * (ra + rb)];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a, i * ra, out, i * (ra + rb), ra);
      System.arraycopy(b, i * rb, out, i * (ra + rb) + ra, rb);
    }
    return out;
  }

  /** Dense row-major [rows × cols] ΔW, for small weights and tests. */
  public float[] dense() {
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < rank; k++) {
        float a = u[i * rank + k];
        if (a == 0f) continue;
        for (int j = 0; j < cols; j++) out[i * cols + j] += a * v[j * rank + k];
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerDelta d && d.weightName.equals(weightName) && d.rows == rows && d.cols == cols
        && d.rank == rank && Arrays.equals(d.u, u) && Arrays.equals(d.v, v);
  }

  @Override
  public int hashCode() {
    return weightName.hashCode() * 31 + Arrays.hashCode(u) * 17 + Arrays.hashCode(v);
  }

  @Override
  public String toString() {
    return "LayerDelta[" + weightName + " " + rows + "×" + cols + " rank " + rank + "]";
  }
}
