package io.somnus.engine.consolidation;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.LowRankAdapter;

/**
 * A trained low-rank adapter of one weight, held in Java memory so that it outlives the training
 * run: {@code y += scale · (x · down) · up}, with {@code down} [in × rank] and {@code up} [rank × out]
 * row-major. The equivalent change of the HF weight [out × in] is {@code scale · (down · up)ᵀ}.
 */
public record TrainedAdapter(String weightName, int in, int out, int rank, float scale, float[] down, float[] up) {
  public TrainedAdapter {
    if (in <= 0 || out <= 0 || rank <= 0) throw new IllegalArgumentException("adapter " + weightName + " has non-positive dimensions");
    if (down.length != (long) in * rank || up.length != (long) rank * out) {
      throw new IllegalArgumentException("adapter " + weightName + ": down has " + down.length + " values, up " + up.length
          + "; expected " + (long) in * rank + " and " + (long) rank * out);
    }
  }

  /** Dense ΔW [out × in] row-major, the term that fusing adds to the weight. */
  public float[] denseDelta() {
    float[] delta = new float[out * in];
    for (int i = 0; i < in; i++) {
      for (int k = 0; k < rank; k++) {
        float a = down[i * rank + k] * scale;
        if (a == 0f) continue;
        for (int o = 0; o < out; o++) delta[o * in + i] += a * up[k * out + o];
      }
    }
    return delta;
  }

  /** The adapter as device arrays in {@code m}, for a hooked forward pass. */
  public LowRankAdapter toDevice(NDManager m) {
    return new LowRankAdapter(m.create(down, new Shape(in, rank)), m.create(up, new Shape(rank, out)), scale);
  }
}
