package io.somnus.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The architecture fields of a Hugging Face {@code config.json} for the Llama family (Llama 2/3,
 * Qwen2, Mistral without sliding window). The original JSON is kept so that saving a checkpoint
 * preserves fields this engine does not interpret.
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
    int maxPositionEmbeddings,
    DType torchDtype,
    Integer bosTokenId,
    Integer eosTokenId,
    ObjectNode raw) {

  /** Llama-3 frequency-dependent RoPE scaling ({@code rope_scaling.rope_type == "llama3"}). */
  public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SUPPORTED_TYPES = Set.of("llama", "qwen2", "mistral");

  public LlamaConfig {
    if (hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || vocabSize <= 0) {
      throw new CheckpointException("config: sizes must be positive (hidden " + hiddenSize + ", intermediate " + intermediateSize
          + ", layers " + numLayers + ", heads " + numHeads + ", kv heads " + numKvHeads + ", vocab " + vocabSize + ")");
    }
    if (numHeads % numKvHeads != 0) {
      throw new CheckpointException("config: num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
    }
    if (headDim <= 0 || headDim % 2 != 0) throw new CheckpointException("config: head_dim " + headDim + " must be positive and even (rotary pairs)");
  }

  public int kvGroups() {
    return numHeads / numKvHeads;
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
    int hidden = required(root, "hidden_size");
    int heads = required(root, "num_attention_heads");
    int headDim = root.hasNonNull("head_dim") ? root.get("head_dim").asInt() : hidden / Math.max(heads, 1);
    RopeScaling scaling = null;
    JsonNode rs = root.get("rope_scaling");
    if (rs != null && !rs.isNull()) {
      String ropeType = rs.path("rope_type").asText(rs.path("type").asText(""));
      if (!ropeType.equals("llama3") && !ropeType.equals("default")) {
        throw new CheckpointException("unsupported rope_scaling type '" + ropeType + "' (supported: llama3)");
      }
      if (ropeType.equals("llama3")) {
        scaling = new RopeScaling(rs.path("factor").asDouble(8.0), rs.path("low_freq_factor").asDouble(1.0),
            rs.path("high_freq_factor").asDouble(4.0), rs.path("original_max_position_embeddings").asInt(8192));
      }
    }
    // Qwen2 always has q/k/v biases and no o bias; Llama has attention_bias for all four projections.
    boolean bias = type.equals("qwen2") || root.path("attention_bias").asBoolean(false);
    return new LlamaConfig(type, required(root, "vocab_size"), hidden, required(root, "intermediate_size"),
        required(root, "num_hidden_layers"), heads, root.path("num_key_value_heads").asInt(heads), headDim,
        root.path("rope_theta").asDouble(10000.0), scaling, root.path("rms_norm_eps").asDouble(1e-6),
        root.path("tie_word_embeddings").asBoolean(false), bias, root.path("max_position_embeddings").asInt(2048),
        DType.fromTorchName(root.path("torch_dtype").asText(null)), intOrNull(root, "bos_token_id"), intOrNull(root, "eos_token_id"),
        root.deepCopy());
  }

  private static int required(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.canConvertToInt()) throw new CheckpointException("config field '" + field + "' is missing or not an integer");
    return n.asInt();
  }

  private static Integer intOrNull(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) return null;
    if (n.isArray()) return n.size() > 0 ? n.get(0).asInt() : null;
    return n.asInt();
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
    long attn = d * numHeads * headDim + 2 * d * numKvHeads * headDim + (long) numHeads * headDim * d;
    long mlp = 3 * d * intermediateSize;
    long perLayer = attn + mlp + 2 * d;
    long emb = (long) vocabSize * d;
    return numLayers * perLayer + emb + (tieWordEmbeddings ? 0 : emb) + d;
  }
}
