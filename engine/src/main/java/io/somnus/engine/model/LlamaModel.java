package io.somnus.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family causal decoder on DJL NDArrays, computing in float32. Weights are owned by the
 * model's manager and keep their Hugging Face names and shapes; every forward pass creates its
 * temporaries in a sub-manager of the caller's and closes it, so only the results survive.
 */
public final class LlamaModel implements AutoCloseable {
  public static final String EMBED = "model.embed_tokens.weight";
  public static final String FINAL_NORM = "model.norm.weight";
  public static final String LM_HEAD = "lm_head.weight";
  /** Large finite negative rather than -inf, so masked scores never produce 0·∞ = NaN in gradients. */
  private static final float MASKED = -1e9f;

  /** One linear projection: its weight's HF name (adapters are keyed by it), weight [out, in], bias or null. */
  private record Projection(String name, NDArray weight, NDArray bias) {}

  /** One decoder layer's weights, looked up once rather than by name on every pass. */
  private record Layer(NDArray inputNorm, Projection q, Projection k, Projection v, Projection o, NDArray postNorm,
      Projection gate, Projection up, Projection down) {}

  private final LlamaConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> weights;
  private final Layer[] layers;
  private final NDArray head;
  /** rms_norm_eps as an array the model owns: adding a Number allocates a fresh Java buffer per call. */
  private final NDArray eps;
  private final Rope rope;

  private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> arrays) {
    this.config = config;
    this.manager = manager;
    this.weights = arrays;
    arrays.forEach((name, array) -> array.setName(name));
    this.layers = new Layer[config.numLayers()];
    for (int l = 0; l < layers.length; l++) {
      layers[l] = new Layer(weight(layerWeight(l, "input_layernorm.weight")), projection(l, "self_attn.q_proj"),
          projection(l, "self_attn.k_proj"), projection(l, "self_attn.v_proj"), projection(l, "self_attn.o_proj"),
          weight(layerWeight(l, "post_attention_layernorm.weight")), projection(l, "mlp.gate_proj"), projection(l, "mlp.up_proj"),
          projection(l, "mlp.down_proj"));
    }
    this.head = config.tieWordEmbeddings() ? weight(EMBED) : weight(LM_HEAD);
    this.eps = constant(manager, (float) config.rmsNormEps());
    this.rope = new Rope(manager, config);
  }

  private Projection projection(int layer, String prefix) {
    String name = layerWeight(layer, prefix + ".weight");
    return new Projection(name, weight(name), weights.get(layerWeight(layer, prefix + ".bias")));
  }

  /**
   * Copies host tensors onto {@code device}; the model owns the arrays from then on. Every tensor the
   * config implies must be present; with tied embeddings a stored lm_head is ignored, as Hugging Face does.
   */
  public static LlamaModel fromHost(LlamaConfig config, Map<String, HostTensor> tensors, Device device) {
    NDManager m = NDManager.newBaseManager(device, "PyTorch");
    try {
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (Map.Entry<String, long[]> e : Checkpoint.expectedShapes(config).entrySet()) {
        if (e.getKey().equals(LM_HEAD) && config.tieWordEmbeddings()) continue;
        HostTensor t = tensors.get(e.getKey());
        if (t == null) throw new CheckpointException("tensor '" + e.getKey() + "' is missing");
        if (!Arrays.equals(t.shape(), e.getValue())) {
          throw new CheckpointException("tensor '" + e.getKey() + "': shape " + Arrays.toString(t.shape())
              + " does not match the config, which implies " + Arrays.toString(e.getValue()));
        }
        // duplicate: weights live in libtorch's memory, not in the Java buffer create() wraps
        try (NDArray wrapped = m.create(t.data(), new Shape(t.shape()))) {
          arrays.put(e.getKey(), wrapped.duplicate());
        }
      }
      return new LlamaModel(config, m, arrays);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public static LlamaModel load(Checkpoint.Contents contents, Device device) {
    return fromHost(contents.config(), contents.tensors(), device);
  }

  /**
   * Loads a checkpoint directory straight into native memory, one bounded chunk at a time: the weights are
   * never held whole in Java memory, so the load peaks at about the model's size, not twice it.
   */
  public static LlamaModel load(Path dir, Device device) {
    LlamaConfig config = Checkpoint.readConfig(dir);
    Map<String, Path> where = Checkpoint.weightFiles(dir);
    Map<Path, SafeTensors> open = new LinkedHashMap<>();
    NDManager m = NDManager.newBaseManager(device, "PyTorch");
    try {
      NativeLoader loader = new NativeLoader();
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (Map.Entry<String, SafeTensors.Entry> e : Checkpoint.plan(dir, config, where, open).entrySet()) {
        arrays.put(e.getKey(), loader.load(open.get(where.get(e.getKey())), e.getValue(), m));
      }
      return new LlamaModel(config, m, arrays);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    } finally {
      open.values().forEach(SafeTensors::close);
    }
  }

  public LlamaConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  /** Names of the stored tensors (lm_head is absent when tied to the embeddings). */
  public List<String> weightNames() {
    return Collections.unmodifiableList(new ArrayList<>(weights.keySet()));
  }

  /** The live weight array, HF shape. Do not close it; use {@link #setWeight}/{@link #addToWeight} to change it. */
  public NDArray weight(String name) {
    NDArray w = weights.get(name);
    if (w == null) throw new IllegalArgumentException("no weight named '" + name + "'");
    return w;
  }

  public static String layerWeight(int layer, String suffix) {
    return "model.layers." + layer + "." + suffix;
  }

  /** Overwrites a weight's values in place (its storage, and so every view of it, stays the same). */
  public void setWeight(String name, NDArray value) {
    NDArray w = weight(name);
    checkShape(name, w, value);
    w.set(new NDIndex().addAllDim(), value);
  }

  /** Adds {@code delta} (HF shape) to a weight in place. */
  public void addToWeight(String name, NDArray delta) {
    NDArray w = weight(name);
    checkShape(name, w, delta);
    w.addi(delta);
  }

  private static void checkShape(String name, NDArray w, NDArray v) {
    if (!w.getShape().equals(v.getShape())) {
      throw new IllegalArgumentException("weight '" + name + "' has shape " + w.getShape() + ", value has " + v.getShape());
    }
  }

  /** Copies all weights to host memory, to be stored as {@code storeAs}. */
  public Map<String, HostTensor> toHost(DType storeAs) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : weights.entrySet()) {
      out.put(e.getKey(), new HostTensor(e.getKey(), storeAs, e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    return out;
  }

  /** Marks every weight as requiring gradients (full training) or not. */
  public void setTrainable(boolean trainable) {
    for (NDArray w : weights.values()) w.setRequiresGradient(trainable);
  }

  public Map<String, NDArray> weights() {
    return Collections.unmodifiableMap(weights);
  }

  /**
   * Runs the decoder. {@code tokenIds} is [B][T], rectangular; right padding is harmless because
   * attention is causal. With a cache, positions continue after the cached ones and the cache is
   * extended.
   */
  public ForwardResult forward(NDManager out, long[][] tokenIds, ForwardHooks hooks, KvCache cache) {
    int batch = tokenIds.length;
    int length = tokenIds[0].length;
    for (long[] row : tokenIds) {
      if (row.length != length) throw new IllegalArgumentException("token rows must have equal length (pad on the right)");
      for (long id : row) {
        if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + config.vocabSize());
      }
    }
    long[] flat = new long[batch * length];
    for (int b = 0; b < batch; b++) System.arraycopy(tokenIds[b], 0, flat, b * length, length);
    NDManager scope = out.newSubManager();
    boolean recording = JniUtils.isGradMode();
    try {
      NDArray h;
      if (hooks.startLayer > 0) {
        if (hooks.startResidual == null) throw new IllegalArgumentException("startAt needs the residual stream");
        h = scope.zeros(hooks.startResidual.getShape()).add(hooks.startResidual);
      } else {
        NDArray ids = scope.create(flat, new Shape(batch, length));
        h = Embedding.embedding(ids, weights.get(EMBED), SparseFormat.DENSE).singletonOrThrow();
      }
      return run(out, scope, h, hooks, cache);
    } finally {
      closeUnlessRecording(scope, recording);
    }
  }

  /**
   * Closes a pass's temporaries, except while a GradientCollector records: autograd keeps some of
   * them for the caller's backward pass (rotary cos/sin, the scalar operands of mul/div), and DJL
   * holds those in Java direct buffers that are freed once their NDArray is closed and collected,
   * so backward would read freed memory (NaN or silently wrong gradients, depending on when the GC
   * ran). While recording, the scope is left to its parent {@code out}, which the caller closes
   * after backward.
   */
  private static void closeUnlessRecording(NDManager scope, boolean recording) {
    if (!recording) scope.close();
  }

  /** Forward from a residual stream (the state after layer {@code startLayer-1}), e.g. for v* optimisation. */
  public ForwardResult forwardFrom(NDManager out, int startLayer, NDArray residual, ForwardHooks hooks) {
    hooks.startAt(startLayer, residual);
    NDManager scope = out.newSubManager();
    boolean recording = JniUtils.isGradMode();
    try {
      NDArray h = scope.zeros(residual.getShape()).add(residual);
      return run(out, scope, h, hooks, null);
    } finally {
      closeUnlessRecording(scope, recording);
    }
  }

  private ForwardResult run(NDManager out, NDManager scope, NDArray h, ForwardHooks hooks, KvCache cache) {
    int length = (int) h.getShape().get(1);
    int past = cache == null ? 0 : cache.length();
    Rope.Slice rotary = rope.slice(scope, past, length);
    NDArray mask = needsMask(past, length) ? causalMask(scope, past, length, config.slidingWindow()) : null;
    Map<Integer, NDArray> keys = new HashMap<>();
    Map<Integer, NDArray> inputs = new HashMap<>();
    Map<Integer, NDArray> outputs = new HashMap<>();
    Map<Integer, NDArray> resid = new HashMap<>();
    int last = Math.min(hooks.stopLayer, config.numLayers() - 1);
    for (int l = hooks.startLayer; l <= last; l++) {
      Layer layer = layers[l];
      h = h.add(attention(rmsNorm(h, layer.inputNorm()), l, rotary, mask, cache, hooks));
      NDArray x = rmsNorm(h, layer.postNorm());
      if (hooks.mlpInputs.contains(l)) inputs.put(l, keep(x, out));
      NDArray gate = linear(x, layer.gate(), hooks);
      NDArray a = gate.mul(Activation.sigmoid(gate)).mul(linear(x, layer.up(), hooks)); // SiLU(gate x) ⊙ up x
      if (hooks.mlpKeys.contains(l)) keys.put(l, keep(a, out));
      NDArray o = linear(a, layer.down(), hooks);
      if (hooks.mlpOutputs.contains(l)) outputs.put(l, keep(o, out));
      h = h.add(o);
      NDArray addition = hooks.residualAdditions.get(l);
      if (addition != null) h = h.add(addition);
      if (hooks.residuals.contains(l)) resid.put(l, keep(h, out));
    }
    if (cache != null) cache.advance(length);
    NDArray logits = null;
    if (last == config.numLayers() - 1) {
      if (hooks.lastPositionLogits) h = h.get(new NDIndex().addAllDim().addSliceDim(length - 1, length));
      logits = Linear.linear(rmsNorm(h, weights.get(FINAL_NORM)), head).singletonOrThrow();
      logits.attach(out);
    }
    return new ForwardResult(logits, keys, inputs, outputs, resid);
  }

  /**
   * A scalar operand that autograd may keep. DJL's {@code mul(Number)}/{@code div(Number)} wrap the
   * number in a Java direct buffer and close it right after the op, while PyTorch saves that operand
   * for backward; the copy here lives in PyTorch-owned memory that the graph keeps alive.
   */
  static NDArray constant(NDManager m, float value) {
    NDArray wrapped = m.create(value);
    NDArray owned = wrapped.duplicate();
    wrapped.close();
    return owned;
  }

  private static NDArray keep(NDArray a, NDManager out) {
    NDArray copy = a.duplicate();
    copy.attach(out);
    return copy;
  }

  /** x / sqrt(mean(x²) + eps) · weight, over the last axis. */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    return x.div(x.square().mean(LAST_AXIS, true).add(eps).sqrt()).mul(weight);
  }

  private static final int[] LAST_AXIS = {-1};

  /** x·Wᵀ + bias (one fused libtorch op), plus the low-rank adapter on this weight if any. */
  private static NDArray linear(NDArray x, Projection p, ForwardHooks hooks) {
    NDArray y = Linear.linear(x, p.weight(), p.bias()).singletonOrThrow();
    LowRankAdapter lora = hooks.adapters.isEmpty() ? null : hooks.adapters.get(p.name());
    if (lora != null) y = y.add(x.matMul(lora.down()).matMul(lora.up()).mul(constant(x.getManager(), lora.scale())));
    return y;
  }

  private NDArray attention(NDArray x, int l, Rope.Slice rotary, NDArray mask, KvCache cache, ForwardHooks hooks) {
    Layer layer = layers[l];
    long batch = x.getShape().get(0);
    long length = x.getShape().get(1);
    int hd = config.headDim();
    int heads = config.numHeads();
    int kvHeads = config.numKvHeads();
    int groups = config.kvGroups();
    // Rotary on [B, T, heads, hd]; the query's tables carry the 1/sqrt(hd) score scale.
    NDArray q = rotary.queries(linear(x, layer.q(), hooks).reshape(batch, length, heads, hd));
    NDArray k = rotary.keys(linear(x, layer.k(), hooks).reshape(batch, length, kvHeads, hd)).transpose(0, 2, 1, 3); // [B, kv, T, hd]
    NDArray v = linear(x, layer.v(), hooks).reshape(batch, length, kvHeads, hd).transpose(0, 2, 1, 3);
    if (cache != null) {
      if (cache.keys(l) != null) {
        k = NDArrays.concat(new NDList(cache.keys(l), k), 2);
        v = NDArrays.concat(new NDList(cache.values(l), v), 2);
      } else {
        k = k.duplicate();
        v = v.duplicate();
      }
      cache.put(l, k, v);
    }
    long keysLen = k.getShape().get(2);
    // Grouped-query attention without materialising repeated K/V: the query heads sharing a KV head
    // are folded into the sequence axis ([B, kv, groups·T, hd]), attend, then unfold.
    NDArray qg = q.reshape(batch, length, kvHeads, groups, hd).transpose(0, 2, 3, 1, 4).reshape(batch, kvHeads, groups * length, hd);
    NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2));
    if (mask != null) scores = scores.reshape(batch, kvHeads, groups, length, keysLen).add(mask).reshape(batch, kvHeads, groups * length, keysLen);
    NDArray ctx = scores.softmax(-1).matMul(v) // [B, kv, groups·T, hd]
        .reshape(batch, kvHeads, groups, length, hd).transpose(0, 3, 1, 2, 4).reshape(batch, length, (long) heads * hd);
    return linear(ctx, layer.o(), hooks);
  }

  /** A single new position attends to every cached key unless a sliding window has pushed some out. */
  private boolean needsMask(int past, int length) {
    return length > 1 || (config.slidingWindow() != null && past + length > config.slidingWindow());
  }

  /** Query i (position past+i) sees key j iff j <= past+i and, with a window W, j > past+i-W. */
  private static NDArray causalMask(NDManager scope, int past, int length, Integer window) {
    int keysLen = past + length;
    float[] m = new float[length * keysLen];
    for (int i = 0; i < length; i++) {
      int query = past + i;
      for (int j = 0; j < keysLen; j++) {
        boolean visible = j <= query && (window == null || j > query - window);
        if (!visible) m[i * keysLen + j] = MASKED;
      }
    }
    return scope.create(m, new Shape(length, keysLen));
  }

  @Override
  public void close() {
    manager.close();
  }
}
