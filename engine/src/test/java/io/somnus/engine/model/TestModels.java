package io.somnus.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.SplittableRandom;

/** Small random configurations covering the variants the loader must handle. */
final class TestModels {
  private TestModels() {}

  static LlamaConfig config(String type, int layers, int heads, int kvHeads, boolean tied, boolean bias, boolean llama3Rope, DType dtype) {
    return LlamaConfig.fromJson(json(type, layers, heads, kvHeads, tied, bias, llama3Rope, dtype));
  }

  /** The config.json of {@link #config}, to be changed key by key. */
  static ObjectNode json(String type, int layers, int heads, int kvHeads, boolean tied, boolean bias, boolean llama3Rope, DType dtype) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("model_type", type);
    n.putArray("architectures").add(type.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
    n.put("vocab_size", 61);
    n.put("hidden_size", 48);
    n.put("intermediate_size", 80);
    n.put("num_hidden_layers", layers);
    n.put("num_attention_heads", heads);
    n.put("num_key_value_heads", kvHeads);
    n.put("rope_theta", llama3Rope ? 500000.0 : 10000.0);
    n.put("rms_norm_eps", 1e-5);
    n.put("tie_word_embeddings", tied);
    if (!type.equals("qwen2")) n.put("attention_bias", bias);
    n.put("max_position_embeddings", 128);
    n.put("torch_dtype", dtype.torchName());
    if (llama3Rope) {
      ObjectNode rs = n.putObject("rope_scaling");
      rs.put("rope_type", "llama3");
      rs.put("factor", 8.0);
      rs.put("low_freq_factor", 1.0);
      rs.put("high_freq_factor", 4.0);
      rs.put("original_max_position_embeddings", 64);
    }
    return n;
  }

  /** Random weights, biases and norm gains (so a dropped bias or gain would show). */
  static Map<String, HostTensor> weights(LlamaConfig c, long seed) {
    Map<String, HostTensor> w = WeightInit.random(c, seed, 0.25, true);
    SplittableRandom r = new SplittableRandom(seed + 1);
    for (HostTensor t : w.values()) {
      if (t.name().endsWith("norm.weight")) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (0.5 + r.nextDouble());
      }
    }
    return w;
  }

  static long[] tokens(int length, int vocab, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[] ids = new long[length];
    for (int i = 0; i < length; i++) ids[i] = r.nextInt(vocab);
    return ids;
  }
}
