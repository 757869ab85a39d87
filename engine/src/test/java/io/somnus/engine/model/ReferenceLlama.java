package io.somnus.engine.model;

import java.util.Map;

/**
 * The Llama forward pass written out as plain loops in double precision, straight from the
 * equations, sharing no code with {@link LlamaModel}. Slow, but obviously correct; used to check
 * the NDArray implementation.
 */
final class ReferenceLlama {
  private final LlamaConfig c;
  private final Map<String, HostTensor> w;

  ReferenceLlama(LlamaConfig c, Map<String, HostTensor> weights) {
    this.c = c;
    this.w = weights;
  }

  /** Logits [T][V] for one sequence. */
  double[][] logits(long[] ids) {
    return run(ids, -1, null)[0];
  }

  /** MLP inner activation SiLU(gate x)·(up x) at {@code layer}, [T][m]. */
  double[][] mlpKeys(long[] ids, int layer) {
    return run(ids, layer, null)[1];
  }

  private double[][][] run(long[] ids, int keyLayer, double[][] unused) {
    int T = ids.length;
    int d = c.hiddenSize();
    double[][] h = new double[T][d];
    float[] emb = w.get("model.embed_tokens.weight").data();
    for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] = emb[(int) ids[t] * d + i];
    double[][] keys = null;
    for (int l = 0; l < c.numLayers(); l++) {
      String p = "model.layers." + l + ".";
      double[][] x = rms(h, p + "input_layernorm.weight");
      double[][] q = lin(x, p + "self_attn.q_proj");
      double[][] k = lin(x, p + "self_attn.k_proj");
      double[][] v = lin(x, p + "self_attn.v_proj");
      rotate(q, c.numHeads());
      rotate(k, c.numKvHeads());
      int hd = c.headDim();
      double[][] ctx = new double[T][c.numHeads() * hd];
      for (int head = 0; head < c.numHeads(); head++) {
        int kvHead = head / (c.numHeads() / c.numKvHeads());
        for (int t = 0; t < T; t++) {
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int u = 0; u <= t; u++) {
            double dot = 0;
            for (int i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[u][kvHead * hd + i];
            s[u] = dot / Math.sqrt(hd);
            max = Math.max(max, s[u]);
          }
          double z = 0;
          for (int u = 0; u <= t; u++) {
            s[u] = Math.exp(s[u] - max);
            z += s[u];
          }
          for (int u = 0; u <= t; u++) {
            for (int i = 0; i < hd; i++) ctx[t][head * hd + i] += s[u] / z * v[u][kvHead * hd + i];
          }
        }
      }
      add(h, lin(ctx, p + "self_attn.o_proj"));
      double[][] x2 = rms(h, p + "post_attention_layernorm.weight");
      double[][] g = lin(x2, p + "mlp.gate_proj");
      double[][] up = lin(x2, p + "mlp.up_proj");
      double[][] a = new double[T][c.intermediateSize()];
      for (int t = 0; t < T; t++) {
        for (int j = 0; j < a[t].length; j++) a[t][j] = g[t][j] / (1 + Math.exp(-g[t][j])) * up[t][j];
      }
      if (l == keyLayer) keys = a;
      add(h, lin(a, p + "mlp.down_proj"));
    }
    double[][] normed = rms(h, "model.norm.weight");
    HostTensor head = w.containsKey("lm_head.weight") ? w.get("lm_head.weight") : w.get("model.embed_tokens.weight");
    double[][] logits = new double[T][c.vocabSize()];
    for (int t = 0; t < T; t++) {
      for (int o = 0; o < c.vocabSize(); o++) {
        double s = 0;
        for (int i = 0; i < d; i++) s += normed[t][i] * head.data()[o * d + i];
        logits[t][o] = s;
      }
    }
    return new double[][][] {logits, keys};
  }

  private double[][] rms(double[][] x, String weight) {
    float[] g = w.get(weight).data();
    double[][] out = new double[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      double ss = 0;
      for (double v : x[t]) ss += v * v;
      double inv = 1 / Math.sqrt(ss / x[t].length + c.rmsNormEps());
      for (int i = 0; i < x[t].length; i++) out[t][i] = x[t][i] * inv * g[i];
    }
    return out;
  }

  private double[][] lin(double[][] x, String prefix) {
    HostTensor wt = w.get(prefix + ".weight");
    HostTensor b = w.get(prefix + ".bias");
    int out = (int) wt.shape()[0];
    int in = (int) wt.shape()[1];
    double[][] y = new double[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double s = b == null ? 0 : b.data()[o];
        for (int i = 0; i < in; i++) s += wt.data()[o * in + i] * x[t][i];
        y[t][o] = s;
      }
    }
    return y;
  }

  /** Rotary embedding, pairing dimension i with i + headDim/2 (HF "rotate half"). */
  private void rotate(double[][] x, int heads) {
    int hd = c.headDim();
    int half = hd / 2;
    for (int t = 0; t < x.length; t++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < half; i++) {
          double angle = t * frequency(i);
          double a = x[t][h * hd + i];
          double b = x[t][h * hd + i + half];
          x[t][h * hd + i] = a * Math.cos(angle) - b * Math.sin(angle);
          x[t][h * hd + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
      }
    }
  }

  private double frequency(int i) {
    double f = Math.pow(c.ropeTheta(), -2.0 * i / c.headDim());
    LlamaConfig.RopeScaling s = c.ropeScaling();
    if (s == null) return f;
    double wavelength = 2 * Math.PI / f;
    double lowFreqWavelength = s.originalMaxPositions() / s.lowFreqFactor();
    double highFreqWavelength = s.originalMaxPositions() / s.highFreqFactor();
    if (wavelength < highFreqWavelength) return f;
    if (wavelength > lowFreqWavelength) return f / s.factor();
    double smooth = (s.originalMaxPositions() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
    return (1 - smooth) * f / s.factor() + smooth * f;
  }

  private static void add(double[][] h, double[][] delta) {
    for (int t = 0; t < h.length; t++) for (int i = 0; i < h[t].length; i++) h[t][i] += delta[t][i];
  }
}
