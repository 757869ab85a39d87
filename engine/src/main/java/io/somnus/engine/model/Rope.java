package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** Rotary position embedding in the Hugging Face "rotate half" layout, with linear and Llama-3 frequency scaling. */
final class Rope {
  private Rope() {}

  static double[] inverseFrequencies(LlamaConfig c) {
    int half = c.headDim() / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) inv[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim());
    LlamaConfig.RopeScaling s = c.ropeScaling();
    if (s != null && s.kind() == LlamaConfig.RopeScaling.Kind.LINEAR) {
      for (int i = 0; i < half; i++) inv[i] /= s.factor();
    } else if (s != null) {
      // Llama 3.1: keep high frequencies, divide low ones by the factor, interpolate in between.
      double lowWavelen = s.originalMaxPositions() / s.lowFreqFactor();
      double highWavelen = s.originalMaxPositions() / s.highFreqFactor();
      for (int i = 0; i < half; i++) {
        double wavelen = 2 * Math.PI / inv[i];
        if (wavelen > lowWavelen) {
          inv[i] = inv[i] / s.factor();
        } else if (wavelen >= highWavelen) {
          double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
          inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
        }
      }
    }
    return inv;
  }

  /** cos and sin tables [T, headDim] for positions {@code start .. start+T-1}. */
  static NDArray[] cosSin(NDManager m, double[] invFreq, int headDim, int start, int length) {
    int half = headDim / 2;
    float[] cos = new float[length * headDim];
    float[] sin = new float[length * headDim];
    for (int t = 0; t < length; t++) {
      for (int i = 0; i < half; i++) {
        double angle = (start + t) * invFreq[i];
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[t * headDim + i] = c;
        cos[t * headDim + i + half] = c;
        sin[t * headDim + i] = s;
        sin[t * headDim + i + half] = s;
      }
    }
    return new NDArray[] {m.create(cos, new Shape(length, headDim)), m.create(sin, new Shape(length, headDim))};
  }

  /** x·cos + rotate_half(x)·sin, x is [B, H, T, headDim]. */
  static NDArray apply(NDArray x, NDArray cos, NDArray sin, int headDim) {
    int half = headDim / 2;
    NDArray x1 = x.get(new NDIndex("..., :" + half));
    NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
    NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
    return x.mul(cos).add(rotated.mul(sin));
  }
}
