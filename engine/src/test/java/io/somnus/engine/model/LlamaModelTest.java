package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LlamaModelTest {
  private static NDManager manager;

  @BeforeAll
  static void start() {
    Runtimes.configureOffline();
    manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  static Stream<Arguments> variants() {
    return Stream.of(
        Arguments.of("llama GQA 4q/2kv untied fp32, llama3 rope", TestModels.config("llama", 3, 4, 2, false, false, true, DType.F32), 1L << 40),
        Arguments.of("qwen2 bias, tied, fp16, sharded", TestModels.config("qwen2", 2, 4, 1, true, true, false, DType.F16), 20_000L),
        Arguments.of("llama MHA tied bf16, sharded", TestModels.config("llama", 4, 2, 2, true, false, false, DType.BF16), 30_000L),
        Arguments.of("llama attention_bias untied fp32", TestModels.config("llama", 2, 6, 3, false, true, false, DType.F32), 1L << 40));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variants")
  void logitsMatchIndependentReference(String label, LlamaConfig config, long shardBytes, @TempDir Path dir) throws Exception {
    Map<String, HostTensor> weights = TestModels.weights(config, 7);
    Checkpoint.save(dir.resolve("ckpt"), config, weights, config.torchDtype(), shardBytes, null);
    if (shardBytes < 1L << 30) assertTrue(dir.resolve("ckpt").resolve(Checkpoint.INDEX).toFile().isFile(), "expected a sharded checkpoint");

    Checkpoint.Contents loaded = Checkpoint.load(dir.resolve("ckpt"));
    assertEquals(config.tieWordEmbeddings(), loaded.config().tieWordEmbeddings());
    long[] ids = TestModels.tokens(11, config.vocabSize(), 3);
    double[][] expected = new ReferenceLlama(loaded.config(), loaded.tensors()).logits(ids);
    try (LlamaModel model = LlamaModel.load(loaded, Device.cpu()); LlamaModel streamed = LlamaModel.load(dir.resolve("ckpt"), Device.cpu());
        NDManager s = manager.newSubManager()) {
      float[] actual = model.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray();
      assertClose(expected, actual, 1e-4, label);
      assertArrayEquals(actual, streamed.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray(), 0f,
          "loaded chunk by chunk into native memory, the same network");
      float[] last = streamed.forward(s, new long[][] {ids}, ForwardHooks.none().lastPositionLogits(), null).logits().toFloatArray();
      float[] lastRow = java.util.Arrays.copyOfRange(actual, (ids.length - 1) * config.vocabSize(), ids.length * config.vocabSize());
      assertArrayEquals(lastRow, last, 1e-5f, "last-position logits are the last row of the full logits");
    }
  }

  @Test
  void storedPrecisionIsWhatWasAskedFor(@TempDir Path dir) throws Exception {
    LlamaConfig config = TestModels.config("llama", 1, 2, 1, false, false, false, DType.F32);
    Map<String, HostTensor> weights = TestModels.weights(config, 1);
    Checkpoint.save(dir.resolve("f32"), config, weights, DType.F32, 1L << 40, null);
    Checkpoint.save(dir.resolve("f16"), config, weights, DType.F16, 1L << 40, null);
    String name = "model.layers.0.mlp.down_proj.weight";
    float[] original = weights.get(name).data();
    assertArrayEquals(original, Checkpoint.load(dir.resolve("f32")).tensors().get(name).data(), "float32 must round-trip exactly");
    float[] half = Checkpoint.load(dir.resolve("f16")).tensors().get(name).data();
    double worst = 0;
    for (int i = 0; i < half.length; i++) worst = Math.max(worst, Math.abs(half[i] - original[i]) / Math.max(Math.abs(original[i]), 1e-3));
    assertTrue(worst < 1e-3 && worst > 0, "fp16 storage should round at ~5e-4 relative, got " + worst);
    assertEquals("float16", LlamaConfig.read(dir.resolve("f16").resolve("config.json")).raw().get("torch_dtype").asText());
  }

  @Test
  void batchedRightPaddedRowsMatchSingleRows() throws Exception {
    LlamaConfig config = TestModels.config("llama", 2, 4, 2, false, false, false, DType.F32);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 5), Device.cpu()); NDManager s = manager.newSubManager()) {
      long[] a = TestModels.tokens(9, config.vocabSize(), 1);
      long[] b = TestModels.tokens(5, config.vocabSize(), 2);
      long[] bPadded = java.util.Arrays.copyOf(b, 9);
      NDArray both = model.forward(s, new long[][] {a, bPadded}, ForwardHooks.none(), null).logits();
      float[] single = model.forward(s, new long[][] {b}, ForwardHooks.none(), null).logits().toFloatArray();
      float[] fromBatch = both.get(new NDIndex("1, :5, :")).toFloatArray();
      assertArrayEquals(single, fromBatch, 1e-4f);
    }
  }

  @Test
  void kvCacheDecodingMatchesFullForward() throws Exception {
    LlamaConfig config = TestModels.config("llama", 3, 4, 2, false, false, true, DType.F32);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 9), Device.cpu()); NDManager s = manager.newSubManager()) {
      long[] ids = TestModels.tokens(10, config.vocabSize(), 4);
      NDArray full = model.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits();
      try (KvCache cache = new KvCache(s, config.numLayers())) {
        model.forward(s, new long[][] {java.util.Arrays.copyOf(ids, 6)}, ForwardHooks.none(), cache);
        for (int t = 6; t < ids.length; t++) {
          float[] step = model.forward(s, new long[][] {{ids[t]}}, ForwardHooks.none(), cache).logits().toFloatArray();
          assertArrayEquals(full.get(new NDIndex(0, t)).toFloatArray(), step, 1e-4f, "position " + t);
        }
        assertEquals(ids.length, cache.length());
      }
    }
  }

  @Test
  void capturedMlpKeysMatchReference() throws Exception {
    LlamaConfig config = TestModels.config("llama", 3, 4, 2, false, false, false, DType.F32);
    Map<String, HostTensor> weights = TestModels.weights(config, 11);
    long[] ids = TestModels.tokens(7, config.vocabSize(), 5);
    double[][] expected = new ReferenceLlama(config, weights).mlpKeys(ids, 1);
    try (LlamaModel model = LlamaModel.fromHost(config, weights, Device.cpu()); NDManager s = manager.newSubManager()) {
      ForwardResult r = model.forward(s, new long[][] {ids}, ForwardHooks.none().captureMlpKeys(1).stopAfter(1), null);
      assertEquals(null, r.logits(), "a pass stopped early computes no logits");
      assertEquals(new Shape(1, 7, config.intermediateSize()), r.mlpKeys().get(1).getShape());
      assertClose(expected, r.mlpKeys().get(1).toFloatArray(), 1e-4, "mlp keys");
    }
  }

  @Test
  void residualAdditionEqualsRestartingFromEditedResidual() throws Exception {
    LlamaConfig config = TestModels.config("llama", 4, 4, 2, false, false, false, DType.F32);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 13), Device.cpu()); NDManager s = manager.newSubManager()) {
      long[] ids = TestModels.tokens(6, config.vocabSize(), 6);
      NDArray delta = s.randomNormal(new Shape(config.hiddenSize()));
      NDArray mask = ForwardHooks.positionMask(s, 1, ids.length, new int[] {4});
      NDArray viaHook = model.forward(s, new long[][] {ids}, ForwardHooks.none().addToResidual(1, mask.mul(delta)), null).logits();
      NDArray h1 = model.forward(s, new long[][] {ids}, ForwardHooks.none().captureResiduals(1).stopAfter(1), null).residuals().get(1);
      NDArray viaRestart = model.forwardFrom(s, 2, h1.add(mask.mul(delta)), ForwardHooks.none()).logits();
      assertArrayEquals(viaHook.toFloatArray(), viaRestart.toFloatArray(), 1e-4f);
      NDArray plain = model.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits();
      // Causality: positions before the edited one are untouched, the edited one changes.
      assertArrayEquals(plain.get(new NDIndex("0, :4")).toFloatArray(), viaHook.get(new NDIndex("0, :4")).toFloatArray(), 1e-5f);
      assertTrue(plain.get(new NDIndex(0, 4)).sub(viaHook.get(new NDIndex(0, 4))).abs().max().getFloat() > 1e-3);
    }
  }

  @Test
  void gradientWithRespectToResidualVectorMatchesFiniteDifferences() throws Exception {
    LlamaConfig config = TestModels.config("llama", 3, 4, 2, false, false, false, DType.F32);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 17), Device.cpu()); NDManager s = manager.newSubManager()) {
      long[] ids = TestModels.tokens(5, config.vocabSize(), 7);
      int target = 3;
      NDArray mask = ForwardHooks.positionMask(s, 1, ids.length, new int[] {4});
      NDArray delta = s.zeros(new Shape(config.hiddenSize()));
      delta.setRequiresGradient(true);
      float[] grad;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray logits = model.forward(s, new long[][] {ids}, ForwardHooks.none().addToResidual(0, mask.mul(delta)), null).logits();
        NDArray loss = logits.get(new NDIndex(0, 4)).logSoftmax(-1).get(target).neg();
        gc.backward(loss);
        grad = delta.getGradient().toFloatArray();
      }
      double eps = 1e-2;
      for (int i : new int[] {0, 7, 23}) {
        float[] e = new float[config.hiddenSize()];
        e[i] = (float) eps;
        NDArray plus = s.create(e);
        double lp = nll(model, s, ids, mask.mul(plus), target);
        double lm = nll(model, s, ids, mask.mul(plus.neg()), target);
        double numeric = (lp - lm) / (2 * eps);
        assertEquals(numeric, grad[i], 2e-2 * Math.max(1, Math.abs(numeric)), "d loss / d delta[" + i + "]");
      }
    }
  }

  private static double nll(LlamaModel model, NDManager s, long[] ids, NDArray addition, int target) {
    NDArray logits = model.forward(s, new long[][] {ids}, ForwardHooks.none().addToResidual(0, addition), null).logits();
    return -logits.get(new NDIndex(0, 4)).logSoftmax(-1).getFloat(target);
  }

  @Test
  void lowRankAdapterEqualsDenseWeightChangeAndHasGradients() throws Exception {
    LlamaConfig config = TestModels.config("llama", 2, 4, 2, false, false, false, DType.F32);
    try (LlamaModel model = LlamaModel.fromHost(config, TestModels.weights(config, 19), Device.cpu()); NDManager s = manager.newSubManager()) {
      long[] ids = TestModels.tokens(6, config.vocabSize(), 8);
      String name = LlamaModel.layerWeight(1, "mlp.down_proj.weight");
      NDArray down = s.randomNormal(new Shape(config.intermediateSize(), 4)).mul(0.1f);
      NDArray up = s.randomNormal(new Shape(4, config.hiddenSize())).mul(0.1f);
      up.setRequiresGradient(true);
      LowRankAdapter adapter = new LowRankAdapter(down, up, 2f);
      float[] withAdapter;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray logits = model.forward(s, new long[][] {ids}, ForwardHooks.none().adapter(name, adapter), null).logits();
        withAdapter = logits.toFloatArray();
        gc.backward(logits.get(new NDIndex(0, 5)).logSoftmax(-1).get(1).neg());
      }
      assertTrue(up.getGradient().abs().sum().getFloat() > 0, "adapter factor receives a gradient");
      NDArray dense = down.matMul(up.stopGradient()).mul(2f).transpose();
      model.addToWeight(name, dense);
      float[] merged = model.forward(s, new long[][] {ids}, ForwardHooks.none(), null).logits().toFloatArray();
      assertArrayEquals(withAdapter, merged, 1e-4f);
      model.addToWeight(name, dense.neg());
    }
  }

  static void assertClose(double[][] expected, float[] actual, double relTol, String label) {
    double maxRef = 0;
    double maxDiff = 0;
    int k = 0;
    for (double[] row : expected) {
      for (double v : row) {
        maxRef = Math.max(maxRef, Math.abs(v));
        maxDiff = Math.max(maxDiff, Math.abs(v - actual[k++]));
      }
    }
    assertEquals(k, actual.length, "element count");
    assertTrue(maxDiff <= relTol * maxRef, label + ": max |diff| " + maxDiff + " > " + relTol + " × max |ref| " + maxRef);
  }
}
