package io.somnus.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The network a Hugging Face {@code config.json} describes, for the Llama family (Llama 2/3, Qwen2,
 * Mistral). Every key that Hugging Face's modelling code for these types reads is either interpreted
 * here or refused with an error naming it; keys it does not read (generation defaults, bookkeeping)
 * are kept in {@link #raw} so that saving a checkpoint preserves them.
 *
 * @param attentionBias q/k/v projections have biases (and o_proj too, except for Qwen2)
 * @param mlpBias gate/up/down projections have biases (Llama's {@code mlp_bias})
 * @param slidingWindow each query attends to at most this many keys ending at itself (Mistral), or null
 * @param eosTokenIds every id that ends generation ({@code eos_token_id} may be a list)
 */
public record LlamaConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double ropeTheta,
    RopeScaling ropeScaling,
    double rmsNormEps,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean mlpBias,
    Integer slidingWindow,
    int maxPositionEmbeddings,
    DType torchDtype,
    Integer bosTokenId,
    List<Integer> eosTokenIds,
    ObjectNode raw) {

  /** RoPE frequency scaling: {@code linear} divides every frequency by the factor; {@code llama3} only the low ones. */
  public record RopeScaling(Kind kind, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {
    public enum Kind { LINEAR, LLAMA3 }

    public static RopeScaling linear(double factor) {
      return new RopeScaling(Kind.LINEAR, factor, 0, 0, 0);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SUPPORTED_TYPES = Set.of("llama", "qwen2", "mistral");
  /** Hugging Face's names for SiLU, the only MLP activation the Llama family uses. */
  private static final Set<String> SILU = Set.of("silu", "swish");

  public LlamaConfig {
    if (hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || vocabSize <= 0) {
      throw new CheckpointException("config: sizes must be positive (hidden " + hiddenSize + ", intermediate " + intermediateSize
          + ", layers " + numLayers + ", heads " + numHeads + ", kv heads " + numKvHeads + ", vocab " + vocabSize + ")");
    }
    if (numHeads % numKvHeads != 0) {
      throw new CheckpointException("config: num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
    }
    if (headDim <= 0 || headDim % 2 != 0) throw new CheckpointException("config: head_dim " + headDim + " must be positive and even (rotary pairs)");
    if (slidingWindow != null && slidingWindow <= 0) throw new CheckpointException("config: sliding_window " + slidingWindow + " must be positive or null");
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  public int kvGroups() {
    return numHeads / numKvHeads;
  }

  /** Whether o_proj has a bias: Llama's attention_bias covers all four projections, Qwen2's biases stop at q/k/v. */
  public boolean outputProjectionBias() {
    return attentionBias && !modelType.equals("qwen2");
  }

  public static LlamaConfig read(Path configJson) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(configJson));
    } catch (IOException e) {
      throw new CheckpointException(configJson + ": cannot read config: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw CheckpointException.inFile(configJson, "not a JSON object");
    try {
      return fromJson((ObjectNode) root);
    } catch (CheckpointException e) {
      throw new CheckpointException(configJson + ": " + e.getMessage(), e);
    }
  }

  public static LlamaConfig fromJson(ObjectNode root) {
    String type = root.path("model_type").asText("");
    if (!SUPPORTED_TYPES.contains(type)) {
      String arch = root.path("architectures").toString();
      throw new CheckpointException("unsupported architecture: model_type '" + type + "' " + arch
          + " (supported: Llama-family decoders: " + SUPPORTED_TYPES + ")");
    }
    if (present(root, "quantization_config")) {
      throw new CheckpointException("quantization_config " + root.get("quantization_config")
          + " is not supported: dequantise the checkpoint to float32, float16 or bfloat16 first");
    }
    String act = root.path("hidden_act").asText("silu");
    if (!SILU.contains(act)) throw refused("hidden_act", root.get("hidden_act"), "only silu is implemented");
    int hidden = required(root, "hidden_size");
    int heads = required(root, "num_attention_heads");
    int kvHeads = present(root, "num_key_value_heads") ? required(root, "num_key_value_heads") : heads;
    int headDim = present(root, "head_dim") ? required(root, "head_dim") : hidden / Math.max(heads, 1);
    // transformers 5 moved rope_theta and rope_scaling into one rope_parameters object.
    JsonNode ropeParams = root.get("rope_parameters");
    boolean v5Rope = ropeParams != null && ropeParams.isObject();
    JsonNode rope = v5Rope ? ropeParams : root.get("rope_scaling");
    String ropeKey = v5Rope ? "rope_parameters" : "rope_scaling";
    double theta = v5Rope && ropeParams.has("rope_theta") ? ropeParams.get("rope_theta").asDouble() : root.path("rope_theta").asDouble(10000.0);
    JsonNode partial = v5Rope && ropeParams.has("partial_rotary_factor") ? ropeParams.get("partial_rotary_factor") : root.get("partial_rotary_factor");
    if (partial != null && !partial.isNull() && partial.asDouble() != 1.0) {
      throw refused("partial_rotary_factor", partial, "Hugging Face's Llama, Qwen2 and Mistral rotate the whole head");
    }
    boolean bias = switch (type) {
      case "qwen2" -> true; // hard-wired q/k/v biases; Qwen2 reads no attention_bias key
      case "mistral" -> {
        if (root.path("attention_bias").asBoolean(false)) throw refused("attention_bias", root.get("attention_bias"), "Mistral has no attention biases");
        yield false;
      }
      default -> root.path("attention_bias").asBoolean(false);
    };
    boolean mlpBias = root.path("mlp_bias").asBoolean(false);
    if (mlpBias && !type.equals("llama")) throw refused("mlp_bias", root.get("mlp_bias"), type + " has no MLP biases");
    return new LlamaConfig(type, required(root, "vocab_size"), hidden, required(root, "intermediate_size"),
        required(root, "num_hidden_layers"), heads, kvHeads, headDim, theta, ropeScaling(rope, ropeKey),
        root.path("rms_norm_eps").asDouble(1e-6), root.path("tie_word_embeddings").asBoolean(false), bias, mlpBias,
        slidingWindow(root, type), root.path("max_position_embeddings").asInt(2048),
        DType.fromTorchName(root.path("torch_dtype").asText(null)), intOrNull(root, "bos_token_id"), ids(root, "eos_token_id"),
        root.deepCopy());
  }

  private static RopeScaling ropeScaling(JsonNode rs, String key) {
    if (rs == null || rs.isNull()) return null;
    String type = rs.path("rope_type").asText(rs.path("type").asText("default"));
    return switch (type) {
      case "default" -> null;
      case "linear" -> RopeScaling.linear(positive(rs, key, "factor"));
      case "llama3" -> new RopeScaling(RopeScaling.Kind.LLAMA3, positive(rs, key, "factor"), positive(rs, key, "low_freq_factor"),
          positive(rs, key, "high_freq_factor"), (int) positive(rs, key, "original_max_position_embeddings"));
      default -> throw refused(key + ".rope_type", rs.path("rope_type").isMissingNode() ? rs.get("type") : rs.get("rope_type"),
          "implemented: default, linear, llama3");
    };
  }

  /**
   * Mistral's window applies to every layer. Llama reads no window key. Qwen2 windows only when
   * use_sliding_window is set, from max_window_layers on; that variant is refused.
   */
  private static Integer slidingWindow(ObjectNode root, String type) {
    JsonNode layerTypes = root.get("layer_types");
    if (layerTypes != null && layerTypes.isArray()) {
      for (JsonNode t : layerTypes) {
        if (!t.asText().equals("full_attention")) throw refused("layer_types", layerTypes, "only full_attention layers are implemented");
      }
    }
    if (type.equals("qwen2") && root.path("use_sliding_window").asBoolean(false)) {
      throw refused("use_sliding_window", root.get("use_sliding_window"), "Qwen2's per-layer sliding window is not implemented");
    }
    if (!type.equals("mistral") || !present(root, "sliding_window")) return null;
    return required(root, "sliding_window");
  }

  private static CheckpointException refused(String key, JsonNode value, String why) {
    return new CheckpointException("config key '" + key + "' = " + value + " is not supported (" + why + ")");
  }

  private static boolean present(JsonNode root, String field) {
    return root.hasNonNull(field);
  }

  private static double positive(JsonNode node, String key, String field) {
    JsonNode n = node.get(field);
    if (n == null || !n.isNumber() || n.asDouble() <= 0) {
      throw new CheckpointException("config key '" + key + "." + field + "' is missing or not a positive number (got " + n + ")");
    }
    return n.asDouble();
  }

  private static int required(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.canConvertToInt()) throw new CheckpointException("config field '" + field + "' is missing or not an integer");
    return n.asInt();
  }

  private static Integer intOrNull(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) return null;
    if (!n.canConvertToInt()) throw new CheckpointException("config field '" + field + "' must be an integer, got " + n);
    return n.asInt();
  }

  private static List<Integer> ids(JsonNode root, String field) {
    JsonNode n = root.get(field);
    List<Integer> out = new ArrayList<>();
    if (n == null || n.isNull()) return out;
    for (JsonNode id : n.isArray() ? n : List.of(n)) {
      if (!id.canConvertToInt()) throw new CheckpointException("config field '" + field + "' must be an integer or a list of integers, got " + n);
      out.add(id.asInt());
    }
    return out;
  }

  /** Builds a config for a freshly initialised Llama model (used for somnus-tiny and tests). */
  public static LlamaConfig llama(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
      int maxPositions, boolean tiedEmbeddings, DType dtype, Integer bos, Integer eos) {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add("LlamaForCausalLM");
    n.put("model_type", "llama");
    n.put("vocab_size", vocab);
    n.put("hidden_size", hidden);
    n.put("intermediate_size", intermediate);
    n.put("num_hidden_layers", layers);
    n.put("num_attention_heads", heads);
    n.put("num_key_value_heads", kvHeads);
    n.put("head_dim", hidden / heads);
    n.put("rope_theta", 10000.0);
    n.put("rms_norm_eps", 1e-5);
    n.put("tie_word_embeddings", tiedEmbeddings);
    n.put("attention_bias", false);
    n.put("mlp_bias", false);
    n.put("max_position_embeddings", maxPositions);
    n.put("hidden_act", "silu");
    n.put("torch_dtype", dtype.torchName());
    if (bos != null) n.put("bos_token_id", bos);
    if (eos != null) n.put("eos_token_id", eos);
    return fromJson(n);
  }

  /** The config as JSON, with the original fields kept and the dtype set to {@code dtype}. */
  public ObjectNode toJson(DType dtype) {
    ObjectNode n = raw.deepCopy();
    n.put("torch_dtype", dtype.torchName());
    return n;
  }

  public long parameterCount() {
    long d = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    long attn = d * q + 2 * d * kv + q * d + (attentionBias ? q + 2 * kv : 0) + (outputProjectionBias() ? d : 0);
    long mlp = 3 * d * intermediateSize + (mlpBias ? 2L * intermediateSize + d : 0);
    long perLayer = attn + mlp + 2 * d;
    long emb = (long) vocabSize * d;
    return numLayers * perLayer + emb + (tieWordEmbeddings ? 0 : emb) + d;
  }
}
