package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding in the Hugging Face "rotate half" layout, with linear and Llama-3
 * frequency scaling. The cos/sin tables live on the model's device and grow by doubling; a pass only
 * slices them. The query's tables are pre-multiplied by the attention scale 1/sqrt(headDim), which
 * saves a division per layer.
 */
final class Rope {
  private final NDManager manager;
  private final double[] invFreq;
  private final int headDim;
  private Tables tables;

  /** cos and signed sin ([-sin, sin] per half), [positions, 1, headDim]; for keys, and scaled for queries. */
  private record Tables(int positions, NDArray cos, NDArray sin, NDArray queryCos, NDArray querySin) {}

  Rope(NDManager manager, LlamaConfig config) {
    this.manager = manager;
    this.invFreq = inverseFrequencies(config);
    this.headDim = config.headDim();
  }

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

  /** The tables for positions {@code start .. start+length-1}, as views owned by {@code scope}. */
  Slice slice(NDManager scope, int start, int length) {
    Tables t = tables(start + length);
    NDIndex rows = new NDIndex().addSliceDim(start, start + length);
    return new Slice(t.cos().get(scope, rows), t.sin().get(scope, rows), t.queryCos().get(scope, rows), t.querySin().get(scope, rows));
  }

  /**
   * Tables covering {@code positions}. Tables outgrown are left to the model's manager rather than closed,
   * since a pass on another thread may still be reading them.
   */
  private synchronized Tables tables(int positions) {
    if (tables != null && tables.positions() >= positions) return tables;
    int n = Math.max(positions, tables == null ? 256 : 2 * tables.positions());
    int half = headDim / 2;
    float[] cos = new float[n * headDim];
    float[] sin = new float[n * headDim];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < half; i++) {
        double angle = t * invFreq[i];
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[t * headDim + i] = c;
        cos[t * headDim + i + half] = c;
        sin[t * headDim + i] = -s;
        sin[t * headDim + i + half] = s;
      }
    }
    float scale = (float) (1 / Math.sqrt(headDim));
    float[] queryCos = new float[cos.length];
    float[] querySin = new float[sin.length];
    for (int i = 0; i < cos.length; i++) {
      queryCos[i] = cos[i] * scale;
      querySin[i] = sin[i] * scale;
    }
    tables = new Tables(n, table(cos, n), table(sin, n), table(queryCos, n), table(querySin, n));
    return tables;
  }

  private NDArray table(float[] values, int positions) {
    try (NDArray wrapped = manager.create(values, new Shape(positions, 1, headDim))) {
      return wrapped.duplicate(); // in libtorch's memory, which autograd may keep past the pass
    }
  }

  /** The tables of one pass. */
  record Slice(NDArray cos, NDArray sin, NDArray queryCos, NDArray querySin) {
    /** Rotated queries [B, T, heads, headDim], scaled by 1/sqrt(headDim). */
    NDArray queries(NDArray x) {
      return rotate(x, queryCos, querySin);
    }

    /** Rotated keys [B, T, heads, headDim]. */
    NDArray keys(NDArray x) {
      return rotate(x, cos, sin);
    }

    /** x·cos + rotate_half(x)·sin, with rotate_half(x)·sin = [x2, x1]·[-sin, sin]: one flip instead of two slices, a negation and a concat. */
    private static NDArray rotate(NDArray x, NDArray cos, NDArray signedSin) {
      Shape s = x.getShape();
      NDArray swapped = x.reshape(s.get(0), s.get(1), s.get(2), 2, s.get(3) / 2).flip(3).reshape(s);
      return x.mul(cos).add(swapped.mul(signedSin));
    }
  }
}
