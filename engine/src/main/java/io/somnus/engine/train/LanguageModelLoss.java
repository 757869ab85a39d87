package io.somnus.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Mean next-token cross-entropy over the positions a mask selects. */
public final class LanguageModelLoss {
  private LanguageModelLoss() {}

  /**
   * @param logits [B, T, V] predictions for positions 0..T-1
   * @param targets [B][T] the token that should follow each position
   * @param weights [B][T] 1 where the position counts (answer tokens, non-padding), 0 elsewhere
   * @return scalar mean loss over counted positions
   */
  public static NDArray crossEntropy(NDManager m, NDArray logits, long[][] targets, float[][] weights) {
    int b = targets.length;
    int t = targets[0].length;
    long[] flat = new long[b * t];
    float[] w = new float[b * t];
    float count = 0;
    for (int i = 0; i < b; i++) {
      System.arraycopy(targets[i], 0, flat, i * t, t);
      System.arraycopy(weights[i], 0, w, i * t, t);
      for (float x : weights[i]) count += x;
    }
    if (count == 0) throw new IllegalArgumentException("no position carries loss");
    NDArray idx = m.create(flat, new Shape(b, t, 1));
    NDArray picked = logits.logSoftmax(-1).gather(idx, -1).reshape(b, t);
    // The divisor is a tensor of m rather than div(Number): DJL frees a Number operand's buffer right
    // after the op, but PyTorch keeps it for the backward pass.
    return picked.mul(m.create(w, new Shape(b, t))).sum().neg().div(m.create(count));
  }
}
