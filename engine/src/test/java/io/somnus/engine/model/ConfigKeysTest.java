package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per config.json key that changes the network: an implemented key gives the logits of the
 * independent reference (which reads the raw JSON itself) and, on the same input, logits that differ
 * from the network without the key, so the test would catch the key being ignored; a refused key
 * fails the load with a message naming the key and the file.
 */
class ConfigKeysTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static NDManager manager;
  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    Runtimes.configureOffline();
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  private static ObjectNode llama() {
    return TestModels.json("llama", 2, 4, 2, false, false, false, DType.F32);
  }

  // ---- implemented keys: logits match the reference, and the key matters ----

  @Test
  void mlpBiasAddsTheGateUpAndDownBiases() throws Exception {
    ObjectNode cfg = llama().put("mlp_bias", true);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.put("mlp_bias", false));
  }

  @Test
  void attentionBiasAddsQkvAndOutputBiases() throws Exception {
    ObjectNode cfg = llama().put("attention_bias", true);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.put("attention_bias", false));
    assertTrue(Checkpoint.expectedShapes(LlamaConfig.fromJson(cfg)).containsKey("model.layers.0.self_attn.o_proj.bias"));
  }

  @Test
  void qwen2HasQkvBiasesButNoOutputBias() throws Exception {
    ObjectNode cfg = TestModels.json("qwen2", 2, 4, 2, false, true, false, DType.F32);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.put("model_type", "llama").put("attention_bias", false));
    assertTrue(!Checkpoint.expectedShapes(LlamaConfig.fromJson(cfg)).containsKey("model.layers.0.self_attn.o_proj.bias"));
  }

  @Test
  void mistralSlidingWindowLimitsEachQueryToTheLastWindowKeys() throws Exception {
    ObjectNode cfg = TestModels.json("mistral", 2, 4, 2, false, false, false, DType.F32).put("sliding_window", 4);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.putNull("sliding_window"));
  }

  @Test
  void slidingWindowHoldsWhenDecodingWithTheKvCache() throws Exception {
    LlamaConfig config = LlamaConfig.fromJson(TestModels.json("mistral", 2, 4, 2, false, false, false, DType.F32).put("sliding_window", 3));
    long[] ids = TestModels.tokens(9, config.vocabSize(), 4);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 9), Device.cpu()); NDManager s = manager.newSubManager()) {
      float[] full = model.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray();
      try (KvCache cache = new KvCache(s, config.numLayers())) {
        model.forward(s, new long[][] {java.util.Arrays.copyOf(ids, 2)}, ForwardHooks.none(), cache);
        for (int t = 2; t < ids.length; t++) {
          float[] step = model.forward(s, new long[][] {{ids[t]}}, ForwardHooks.none(), cache).logits().toFloatArray();
          float[] expected = java.util.Arrays.copyOfRange(full, t * config.vocabSize(), (t + 1) * config.vocabSize());
          org.junit.jupiter.api.Assertions.assertArrayEquals(expected, step, 1e-4f, "position " + t);
        }
      }
    }
  }

  @Test
  void linearRopeScalingDividesEveryFrequency() throws Exception {
    ObjectNode cfg = llama();
    cfg.putObject("rope_scaling").put("rope_type", "linear").put("factor", 4.0);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.remove("rope_scaling"));
  }

  @Test
  void llama3RopeScalingDividesOnlyLowFrequencies() throws Exception {
    ObjectNode cfg = TestModels.json("llama", 2, 4, 2, false, false, true, DType.F32);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.remove("rope_scaling"));
  }

  @Test
  void ropeThetaSetsTheBaseFrequency() throws Exception {
    ObjectNode cfg = llama().put("rope_theta", 31.0);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.put("rope_theta", 10000.0));
  }

  @Test
  void transformers5RopeParametersAreRead() throws Exception {
    ObjectNode cfg = llama();
    cfg.remove("rope_theta");
    cfg.putObject("rope_parameters").put("rope_type", "linear").put("factor", 3.0).put("rope_theta", 50.0);
    LlamaConfig parsed = LlamaConfig.fromJson(cfg);
    assertEquals(50.0, parsed.ropeTheta());
    assertEquals(LlamaConfig.RopeScaling.Kind.LINEAR, parsed.ropeScaling().kind());
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.remove("rope_parameters"));
  }

  @Test
  void headDimMayDifferFromHiddenOverHeads() throws Exception {
    ObjectNode cfg = llama().put("head_dim", 16); // 4 heads × 16 = 64 ≠ hidden 48
    LlamaConfig parsed = LlamaConfig.fromJson(cfg);
    assertEquals(List.of(64L, 48L), List.of(Checkpoint.expectedShapes(parsed).get("model.layers.0.self_attn.q_proj.weight")[0],
        Checkpoint.expectedShapes(parsed).get("model.layers.0.self_attn.q_proj.weight")[1]));
    assertMatchesReference(cfg);
  }

  @Test
  void rmsNormEpsIsAddedToTheMeanSquare() throws Exception {
    ObjectNode cfg = llama().put("rms_norm_eps", 0.5);
    assertMatchesReferenceAndDiffersWithout(cfg, c -> c.put("rms_norm_eps", 1e-6));
  }

  @Test
  void rmsNormEpsDefaultsToHuggingFacesOneInAMillion() {
    ObjectNode cfg = llama();
    cfg.remove("rms_norm_eps");
    assertEquals(1e-6, LlamaConfig.fromJson(cfg).rmsNormEps());
  }

  @Test
  void numKeyValueHeadsDefaultsToOnePerQueryHead() throws Exception {
    ObjectNode cfg = llama();
    cfg.remove("num_key_value_heads");
    assertEquals(4, LlamaConfig.fromJson(cfg).numKvHeads());
    assertMatchesReference(cfg);
  }

  @Test
  void tiedEmbeddingsMakeTheEmbeddingTheHeadEvenWhenTheFileAlsoHoldsAnLmHead() throws Exception {
    ObjectNode cfg = llama().put("tie_word_embeddings", true);
    LlamaConfig config = LlamaConfig.fromJson(cfg);
    Map<String, HostTensor> weights = new LinkedHashMap<>(TestModels.weights(config, 7));
    HostTensor embed = weights.get(LlamaModel.EMBED);
    float[] other = embed.data().clone();
    for (int i = 0; i < other.length; i++) other[i] = -other[i] * 0.5f;
    weights.put(LlamaModel.LM_HEAD, new HostTensor(LlamaModel.LM_HEAD, DType.F32, embed.shape(), other));
    Path dir = save(cfg, weights);
    assertClose(new ReferenceLlama(config, weights).logits(ids()), engineLogits(dir), "tied");
    ObjectNode untied = cfg.deepCopy().put("tie_word_embeddings", false);
    Files.write(dir.resolve(Checkpoint.CONFIG), JSON.writeValueAsBytes(untied));
    float[] withHead = engineLogits(dir);
    assertClose(new ReferenceLlama(LlamaConfig.fromJson(untied), weights).logits(ids()), withHead, "untied");
    assertTrue(maxDiff(new ReferenceLlama(config, weights).logits(ids()), withHead) > 0.1, "the stored head differs from the embedding");
  }

  @Test
  void pretrainingTpAndDropoutsLoadAsTheSameFunction() throws Exception {
    // pretraining_tp > 1 only splits Hugging Face's matmuls into slices; dropout acts in training mode only.
    assertMatchesReference(llama().put("pretraining_tp", 2).put("attention_dropout", 0.1));
  }

  @Test
  void eosTokenIdListKeepsEveryId() {
    ObjectNode cfg = llama();
    cfg.putArray("eos_token_id").add(5).add(9).add(11);
    assertEquals(List.of(5, 9, 11), LlamaConfig.fromJson(cfg).eosTokenIds());
    assertEquals(List.of(7), LlamaConfig.fromJson(llama().put("eos_token_id", 7)).eosTokenIds());
  }

  @Test
  void oldExportsRotaryBuffersAreNotWeightsAndAreSkipped() throws Exception {
    LlamaConfig config = LlamaConfig.fromJson(llama());
    Map<String, HostTensor> weights = new LinkedHashMap<>(TestModels.weights(config, 7));
    String buffer = "model.layers.0.self_attn.rotary_emb.inv_freq";
    weights.put(buffer, new HostTensor(buffer, DType.F32, new long[] {6}, new float[6]));
    Path dir = save(llama(), weights);
    assertClose(new ReferenceLlama(config, weights).logits(ids()), engineLogits(dir), "with inv_freq buffers");
  }

  // ---- refused keys and contradictions: the error names the key (or tensor) and the file ----

  @Test
  void mlpBiasWithoutItsTensorsIsRefused() throws Exception {
    Path dir = saveWithout(llama().put("mlp_bias", true), ".mlp.up_proj.bias");
    assertRefused(dir, "model.layers.0.mlp.up_proj.bias", "mlp_bias: true");
  }

  @Test
  void attentionBiasWithoutItsTensorsIsRefused() throws Exception {
    Path dir = saveWithout(llama().put("attention_bias", true), ".self_attn.k_proj.bias");
    assertRefused(dir, "model.layers.0.self_attn.k_proj.bias", "attention_bias: true");
  }

  @Test
  void biasTensorsTheConfigDoesNotDeclareAreRefusedNotDropped() throws Exception {
    ObjectNode withBias = llama().put("mlp_bias", true);
    Path dir = save(withBias, TestModels.weights(LlamaConfig.fromJson(withBias), 3));
    Files.write(dir.resolve(Checkpoint.CONFIG), JSON.writeValueAsBytes(llama()));
    assertRefused(dir, ".mlp.", "mlp_bias: false");
  }

  @Test
  void untiedConfigWithoutLmHeadIsRefused() throws Exception {
    Path dir = saveWithout(llama(), LlamaModel.LM_HEAD);
    assertRefused(dir, LlamaModel.LM_HEAD, "tie_word_embeddings: false");
  }

  @Test
  void qwen2SlidingWindowIsRefused() throws Exception {
    ObjectNode cfg = TestModels.json("qwen2", 1, 4, 2, false, true, false, DType.F32).put("use_sliding_window", true).put("sliding_window", 4);
    assertConfigRefused(cfg, "use_sliding_window");
  }

  @Test
  void qwen2WithoutSlidingWindowIgnoresTheWindowSize() {
    ObjectNode cfg = TestModels.json("qwen2", 1, 4, 2, false, true, false, DType.F32).put("use_sliding_window", false).put("sliding_window", 4);
    assertEquals(null, LlamaConfig.fromJson(cfg).slidingWindow());
  }

  @Test
  void slidingLayerTypesAreRefused() throws Exception {
    ObjectNode cfg = llama();
    cfg.putArray("layer_types").add("full_attention").add("sliding_attention");
    assertConfigRefused(cfg, "layer_types");
  }

  @Test
  void unimplementedRopeScalingTypesAreRefused() throws Exception {
    for (String type : List.of("yarn", "dynamic", "longrope")) {
      ObjectNode cfg = llama();
      cfg.putObject("rope_scaling").put("rope_type", type).put("factor", 2.0);
      assertConfigRefused(cfg, "rope_scaling.rope_type");
    }
  }

  @Test
  void llama3RopeScalingWithAMissingFieldIsRefused() throws Exception {
    ObjectNode cfg = TestModels.json("llama", 1, 4, 2, false, false, true, DType.F32);
    ((ObjectNode) cfg.get("rope_scaling")).remove("low_freq_factor");
    assertConfigRefused(cfg, "rope_scaling.low_freq_factor");
  }

  @Test
  void partialRotaryFactorIsRefused() throws Exception {
    assertConfigRefused(llama().put("partial_rotary_factor", 0.5), "partial_rotary_factor");
  }

  @Test
  void activationsOtherThanSiluAreRefused() throws Exception {
    assertConfigRefused(llama().put("hidden_act", "gelu"), "hidden_act");
  }

  @Test
  void quantisedCheckpointsAreRefused() throws Exception {
    ObjectNode cfg = llama();
    cfg.putObject("quantization_config").put("quant_method", "bitsandbytes");
    assertConfigRefused(cfg, "quantization_config");
  }

  @Test
  void biasKeysThatTheModelTypeDoesNotHaveAreRefused() throws Exception {
    assertConfigRefused(TestModels.json("mistral", 1, 4, 2, false, false, false, DType.F32).put("attention_bias", true), "attention_bias");
    assertConfigRefused(TestModels.json("qwen2", 1, 4, 2, false, true, false, DType.F32).put("mlp_bias", true), "mlp_bias");
  }

  // ---- helpers ----

  private interface Edit {
    void apply(ObjectNode cfg);
  }

  private static long[] ids() {
    return TestModels.tokens(11, 61, 3);
  }

  private void assertMatchesReference(ObjectNode cfg) throws Exception {
    LlamaConfig config = LlamaConfig.fromJson(cfg);
    Map<String, HostTensor> weights = TestModels.weights(config, 7);
    assertClose(new ReferenceLlama(config, weights).logits(ids()), engineLogits(save(cfg, weights)), cfg.toString());
  }

  /** The engine matches the reference; the reference without the key gives other logits on this input. */
  private void assertMatchesReferenceAndDiffersWithout(ObjectNode cfg, Edit without) throws Exception {
    LlamaConfig config = LlamaConfig.fromJson(cfg);
    Map<String, HostTensor> weights = TestModels.weights(config, 7);
    float[] actual = engineLogits(save(cfg, weights));
    double[][] expected = new ReferenceLlama(config, weights).logits(ids());
    assertClose(expected, actual, cfg.toString());
    ObjectNode plain = cfg.deepCopy();
    without.apply(plain);
    Map<String, HostTensor> plainWeights = new LinkedHashMap<>(weights);
    plainWeights.keySet().retainAll(Checkpoint.expectedShapes(LlamaConfig.fromJson(plain)).keySet());
    double[][] withoutKey = new ReferenceLlama(LlamaConfig.fromJson(plain), plainWeights).logits(ids());
    double scale = maxAbs(expected);
    assertTrue(maxDiff(withoutKey, actual) > 1e-2 * scale, "ignoring the key would go unnoticed on this input: " + plain);
  }

  /** Logits of the checkpoint loaded straight into native memory, checked equal to those of the host-copy load. */
  private float[] engineLogits(Path dir) {
    float[] streamed = logits(LlamaModel.load(dir, Device.cpu()));
    org.junit.jupiter.api.Assertions.assertArrayEquals(logits(LlamaModel.load(Checkpoint.load(dir), Device.cpu())), streamed, 0f,
        "both load paths give the same network");
    return streamed;
  }

  private static float[] logits(LlamaModel loaded) {
    try (LlamaModel model = loaded; NDManager s = manager.newSubManager()) {
      return model.forward(s, new long[][] {ids()}, ForwardHooks.none(), null).logits().toFloatArray();
    }
  }

  private Path save(ObjectNode cfg, Map<String, HostTensor> weights) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "ckpt");
    SafeTensors.write(dir.resolve(Checkpoint.SINGLE), weights.values(), Map.of());
    Files.write(dir.resolve(Checkpoint.CONFIG), JSON.writeValueAsBytes(cfg));
    return dir;
  }

  private Path saveWithout(ObjectNode cfg, String nameSuffix) throws Exception {
    Map<String, HostTensor> weights = new LinkedHashMap<>(TestModels.weights(LlamaConfig.fromJson(cfg), 3));
    weights.keySet().removeIf(n -> n.endsWith(nameSuffix));
    return save(cfg, weights);
  }

  private static void assertRefused(Path dir, String... mentions) {
    CheckpointException streamed = assertThrows(CheckpointException.class, () -> LlamaModel.load(dir, Device.cpu()));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertEquals(e.getMessage(), streamed.getMessage(), "both load paths refuse alike");
    for (String m : mentions) assertTrue(e.getMessage().contains(m), "'" + m + "' missing from: " + e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), "the message names the checkpoint: " + e.getMessage());
  }

  private void assertConfigRefused(ObjectNode cfg, String key) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "ckpt");
    Files.write(dir.resolve(Checkpoint.CONFIG), JSON.writeValueAsBytes(cfg));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("'" + key + "'") || e.getMessage().contains(key + " "), "key '" + key + "' missing from: " + e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve(Checkpoint.CONFIG).toString()), "the message names the file: " + e.getMessage());
  }

  private static void assertClose(double[][] expected, float[] actual, String label) {
    LlamaModelTest.assertClose(expected, actual, 1e-4, label);
  }

  private static double maxAbs(double[][] a) {
    double m = 0;
    for (double[] row : a) for (double v : row) m = Math.max(m, Math.abs(v));
    return m;
  }

  private static double maxDiff(double[][] a, float[] b) {
    double m = 0;
    int k = 0;
    for (double[] row : a) for (double v : row) m = Math.max(m, Math.abs(v - b[k++]));
    return m;
  }
}
