package io.somnus.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * The Llama forward pass written out as plain loops in double precision, straight from the
 * equations, sharing no code with {@link LlamaModel} and reading the architecture from the raw
 * {@code config.json} (not from {@link LlamaConfig}'s parsed fields), with Hugging Face's defaults.
 * Biases are used wherever the weights hold them. Slow, but obviously correct; used to check the
 * NDArray implementation and the config parsing.
 */
final class ReferenceLlama {
  private final JsonNode cfg;
  private final Map<String, HostTensor> w;
  private final int layers;
  private final int d;
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final int vocab;
  private final double eps;
  private final JsonNode rope;
  private final double theta;
  private final int window;
  private final boolean tied;

  ReferenceLlama(LlamaConfig c, Map<String, HostTensor> weights) {
    this.cfg = c.raw();
    this.w = weights;
    layers = cfg.get("num_hidden_layers").asInt();
    d = cfg.get("hidden_size").asInt();
    heads = cfg.get("num_attention_heads").asInt();
    kvHeads = cfg.hasNonNull("num_key_value_heads") ? cfg.get("num_key_value_heads").asInt() : heads;
    headDim = cfg.hasNonNull("head_dim") ? cfg.get("head_dim").asInt() : d / heads;
    vocab = cfg.get("vocab_size").asInt();
    eps = cfg.path("rms_norm_eps").asDouble(1e-6);
    JsonNode v5 = cfg.get("rope_parameters");
    rope = v5 != null ? v5 : cfg.get("rope_scaling");
    theta = v5 != null ? v5.path("rope_theta").asDouble(10000) : cfg.path("rope_theta").asDouble(10000);
    boolean mistral = cfg.path("model_type").asText().equals("mistral");
    window = mistral && cfg.hasNonNull("sliding_window") ? cfg.get("sliding_window").asInt() : Integer.MAX_VALUE;
    tied = cfg.path("tie_word_embeddings").asBoolean(false);
  }

  /** Logits [T][V] for one sequence. */
  double[][] logits(long[] ids) {
    return run(ids, -1)[0];
  }

  /** MLP inner activation SiLU(gate x)·(up x) at {@code layer}, [T][m]. */
  double[][] mlpKeys(long[] ids, int layer) {
    return run(ids, layer)[1];
  }

  private double[][][] run(long[] ids, int keyLayer) {
    int T = ids.length;
    double[][] h = new double[T][d];
    float[] emb = w.get("model.embed_tokens.weight").data();
    for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] = emb[(int) ids[t] * d + i];
    double[][] keys = null;
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      double[][] x = rms(h, p + "input_layernorm.weight");
      double[][] q = lin(x, p + "self_attn.q_proj");
      double[][] k = lin(x, p + "self_attn.k_proj");
      double[][] v = lin(x, p + "self_attn.v_proj");
      rotate(q, heads);
      rotate(k, kvHeads);
      double[][] ctx = new double[T][heads * headDim];
      for (int head = 0; head < heads; head++) {
        int kvHead = head / (heads / kvHeads);
        for (int t = 0; t < T; t++) {
          int first = (int) Math.max(0, (long) t - window + 1); // keys t-W+1 .. t
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int u = first; u <= t; u++) {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += q[t][head * headDim + i] * k[u][kvHead * headDim + i];
            s[u] = dot / Math.sqrt(headDim);
            max = Math.max(max, s[u]);
          }
          double z = 0;
          for (int u = first; u <= t; u++) {
            s[u] = Math.exp(s[u] - max);
            z += s[u];
          }
          for (int u = first; u <= t; u++) {
            for (int i = 0; i < headDim; i++) ctx[t][head * headDim + i] += s[u] / z * v[u][kvHead * headDim + i];
          }
        }
      }
      add(h, lin(ctx, p + "self_attn.o_proj"));
      double[][] x2 = rms(h, p + "post_attention_layernorm.weight");
      double[][] g = lin(x2, p + "mlp.gate_proj");
      double[][] up = lin(x2, p + "mlp.up_proj");
      double[][] a = new double[T][g[0].length];
      for (int t = 0; t < T; t++) {
        for (int j = 0; j < a[t].length; j++) a[t][j] = g[t][j] / (1 + Math.exp(-g[t][j])) * up[t][j];
      }
      if (l == keyLayer) keys = a;
      add(h, lin(a, p + "mlp.down_proj"));
    }
    double[][] normed = rms(h, "model.norm.weight");
    HostTensor head = tied ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
    double[][] logits = new double[T][vocab];
    for (int t = 0; t < T; t++) {
      for (int o = 0; o < vocab; o++) {
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
      double inv = 1 / Math.sqrt(ss / x[t].length + eps);
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
  private void rotate(double[][] x, int n) {
    int half = headDim / 2;
    for (int t = 0; t < x.length; t++) {
      for (int h = 0; h < n; h++) {
        for (int i = 0; i < half; i++) {
          double angle = t * frequency(i);
          double a = x[t][h * headDim + i];
          double b = x[t][h * headDim + i + half];
          x[t][h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
          x[t][h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
      }
    }
  }

  private double frequency(int i) {
    double f = Math.pow(theta, -2.0 * i / headDim);
    String type = rope == null ? "default" : rope.path("rope_type").asText(rope.path("type").asText("default"));
    if (type.equals("linear")) return f / rope.get("factor").asDouble();
    if (!type.equals("llama3")) return f;
    double factor = rope.get("factor").asDouble();
    double low = rope.get("low_freq_factor").asDouble();
    double high = rope.get("high_freq_factor").asDouble();
    double original = rope.get("original_max_position_embeddings").asDouble();
    double wavelength = 2 * Math.PI / f;
    if (wavelength < original / high) return f;
    if (wavelength > original / low) return f / factor;
    double smooth = (original / wavelength - low) / (high - low);
    return (1 - smooth) * f / factor + smooth * f;
  }

  private static void add(double[][] h, double[][] delta) {
    for (int t = 0; t < h.length; t++) for (int i = 0; i < h[t].length; i++) h[t][i] += delta[t][i];
  }
}
