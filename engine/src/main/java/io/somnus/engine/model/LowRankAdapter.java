package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * A low-rank addition to one linear weight: {@code y += scale · (x · down) · up}. {@code down} is
 * [in, r] and {@code up} is [r, out], i.e. LoRA's A and B stored pre-transposed so the forward pass
 * needs no transposes. The equivalent dense change of the HF weight [out, in] is
 * {@code scale · (down · up)ᵀ}.
 */
public record LowRankAdapter(NDArray down, NDArray up, float scale) {
  public LowRankAdapter {
    if (down.getShape().dimension() != 2 || up.getShape().dimension() != 2 || down.getShape().get(1) != up.getShape().get(0)) {
      throw new IllegalArgumentException("adapter factors must be [in, r] and [r, out], got " + down.getShape() + " and " + up.getShape());
    }
  }

  public long rank() {
    return down.getShape().get(1);
  }
}
