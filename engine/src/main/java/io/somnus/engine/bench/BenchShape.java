package io.somnus.engine.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.LlamaConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network and workload the benchmark times: {@code batch}×{@code prompt} tokens for the forward
 * pass and the gradient step, a {@code prompt}-token prefill, then {@code decode} tokens one at a time.
 */
public record BenchShape(String name, String description, LlamaConfig config, int batch, int prompt, int decode) {

  /** The shapes by name: somnus-tiny's class, one layer of a 1B-class Llama, and a whole Llama-3.2-1B-class model. */
  public static final Map<String, BenchShape> ALL = catalog();

  private static Map<String, BenchShape> catalog() {
    Map<String, BenchShape> m = new LinkedHashMap<>();
    m.put("tiny", new BenchShape("tiny", "4 layers, d=256 (somnus-tiny class)",
        LlamaConfig.llama(4096, 256, 768, 4, 4, 4, 2048, true, DType.BF16, 0, 0), 8, 128, 32));
    m.put("layer1b", new BenchShape("layer1b", "1 layer, d=2048 (one layer of a 1B-class Llama: ffn 8192, 32 heads, 8 kv heads, vocab 32k)",
        LlamaConfig.llama(32000, 2048, 8192, 1, 32, 8, 2048, false, DType.BF16, 0, 0), 1, 128, 16));
    m.put("llama1b", new BenchShape("llama1b", "16 layers, d=2048 (Llama-3.2-1B's shape: ffn 8192, 32 heads, 8 kv heads, vocab 128256, tied, llama3 RoPE)",
        llama32OneB(), 1, 128, 16));
    return m;
  }

  private static LlamaConfig llama32OneB() {
    ObjectNode json = LlamaConfig.llama(128256, 2048, 8192, 16, 32, 8, 131072, true, DType.BF16, 128000, 128001).raw().deepCopy();
    json.put("rope_theta", 500000.0);
    json.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 32.0).put("low_freq_factor", 1.0)
        .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
    return LlamaConfig.fromJson(json);
  }

  public static List<BenchShape> named(String commaSeparated) {
    return java.util.Arrays.stream(commaSeparated.split(",")).map(String::strip).map(n -> {
      BenchShape s = ALL.get(n);
      if (s == null) throw new IllegalArgumentException("unknown bench shape '" + n + "' (known: " + ALL.keySet() + ")");
      return s;
    }).toList();
  }

  /** The token ids both implementations run on: a fixed formula, so no data file is needed. */
  public static long[][] tokens(int batch, int length, int vocab) {
    long[][] out = new long[batch][length];
    for (int b = 0; b < batch; b++) for (int t = 0; t < length; t++) out[b][t] = (b * 7919L + t * 104729L + 13) % vocab;
    return out;
  }
}
