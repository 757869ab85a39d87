package io.somnus.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
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

  private final LlamaConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> weights = new LinkedHashMap<>();
  /** [in, out] views of linear weights (shared storage), so x·Wᵀ needs no per-call transpose. */
  private final Map<String, NDArray> transposed = new HashMap<>();
  private final double[] invFreq;
  private boolean trainable;

  private LlamaModel(LlamaConfig config, NDManager manager) {
    this.config = config;
    this.manager = manager;
    this.invFreq = Rope.inverseFrequencies(config);
  }

  /**
   * Copies host tensors onto {@code device}; the model owns the arrays from then on. Every tensor the
   * config implies must be present; with tied embeddings a stored lm_head is ignored, as Hugging Face does.
   */
  public static LlamaModel fromHost(LlamaConfig config, Map<String, HostTensor> tensors, Device device) {
    NDManager m = NDManager.newBaseManager(device, "PyTorch");
    LlamaModel model = new LlamaModel(config, m);
    try {
      for (Map.Entry<String, long[]> e : Checkpoint.expectedShapes(config).entrySet()) {
        if (e.getKey().equals(LM_HEAD) && config.tieWordEmbeddings()) continue;
        HostTensor t = tensors.get(e.getKey());
        if (t == null) throw new CheckpointException("tensor '" + e.getKey() + "' is missing");
        if (!Arrays.equals(t.shape(), e.getValue())) {
          throw new CheckpointException("tensor '" + e.getKey() + "': shape " + Arrays.toString(t.shape())
              + " does not match the config, which implies " + Arrays.toString(e.getValue()));
        }
        model.put(e.getKey(), m.create(t.data(), new Shape(t.shape())));
      }
      if (config.tieWordEmbeddings()) model.transposed.put(LM_HEAD, model.weights.get(EMBED).transpose());
      return model;
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  public static LlamaModel load(Checkpoint.Contents contents, Device device) {
    return fromHost(contents.config(), contents.tensors(), device);
  }

  private void put(String name, NDArray array) {
    array.setName(name);
    weights.put(name, array);
    if (array.getShape().dimension() == 2 && !name.equals(EMBED)) transposed.put(name, array.transpose());
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

  /** Overwrites a weight's values in place. */
  public void setWeight(String name, NDArray value) {
    NDArray w = weight(name);
    checkShape(name, w, value);
    value.copyTo(w);
    // copyTo may rebind the target to new storage; the cached [in, out] view must follow it.
    NDArray old = transposed.get(name);
    if (old != null && !(name.equals(LM_HEAD) && !weights.containsKey(LM_HEAD))) {
      transposed.put(name, w.transpose());
      old.close();
    }
    if (name.equals(EMBED) && config.tieWordEmbeddings()) {
      NDArray head = transposed.put(LM_HEAD, w.transpose());
      if (head != null) head.close();
    }
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
    this.trainable = trainable;
  }

  /**
   * The [in, out] view of a linear weight. Cached views were taken before any gradient was
   * requested and so sit outside the autograd graph; while training, a fresh view is taken inside
   * the recorded pass so that gradients reach the weight itself.
   */
  private NDArray inOut(String name, NDManager scope) {
    if (!trainable) return transposed.get(name);
    NDArray w = name.equals(LM_HEAD) && !weights.containsKey(LM_HEAD) ? weights.get(EMBED) : weights.get(name);
    NDArray view = w.transpose();
    view.attach(scope); // a per-pass view: freed with the pass, not kept by the model's manager
    return view;
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
        h = weights.get(EMBED).get(scope, new NDIndex("{}", ids));
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
    long batch = h.getShape().get(0);
    int length = (int) h.getShape().get(1);
    int past = cache == null ? 0 : cache.length();
    NDArray[] rope = Rope.cosSin(scope, invFreq, config.headDim(), past, length);
    NDArray mask = needsMask(past, length) ? causalMask(scope, past, length, config.slidingWindow()) : null;
    Map<Integer, NDArray> keys = new HashMap<>();
    Map<Integer, NDArray> inputs = new HashMap<>();
    Map<Integer, NDArray> outputs = new HashMap<>();
    Map<Integer, NDArray> resid = new HashMap<>();
    int last = Math.min(hooks.stopLayer, config.numLayers() - 1);
    for (int l = hooks.startLayer; l <= last; l++) {
      NDArray x = rmsNorm(h, weights.get(layerWeight(l, "input_layernorm.weight")));
      h = h.add(attention(x, l, rope, mask, cache, hooks, batch, length, past));
      NDArray x2 = rmsNorm(h, weights.get(layerWeight(l, "post_attention_layernorm.weight")));
      if (hooks.mlpInputs.contains(l)) inputs.put(l, keep(x2, out));
      NDArray gate = linear(x2, layerWeight(l, "mlp.gate_proj"), hooks);
      NDArray up = linear(x2, layerWeight(l, "mlp.up_proj"), hooks);
      NDArray a = gate.mul(Activation.sigmoid(gate)).mul(up);
      if (hooks.mlpKeys.contains(l)) keys.put(l, keep(a, out));
      NDArray o = linear(a, layerWeight(l, "mlp.down_proj"), hooks);
      if (hooks.mlpOutputs.contains(l)) outputs.put(l, keep(o, out));
      h = h.add(o);
      NDArray addition = hooks.residualAdditions.get(l);
      if (addition != null) h = h.add(addition);
      if (hooks.residuals.contains(l)) resid.put(l, keep(h, out));
    }
    if (cache != null) cache.advance(length);
    NDArray logits = null;
    if (last == config.numLayers() - 1) {
      NDArray normed = rmsNorm(h, weights.get(FINAL_NORM));
      logits = normed.matMul(inOut(LM_HEAD, normed.getManager()));
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

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add((float) config.rmsNormEps()).sqrt();
    return x.div(rms).mul(weight);
  }

  /** x·Wᵀ (+ bias) (+ low-rank adapter); {@code prefix} is the weight name without ".weight". */
  private NDArray linear(NDArray x, String prefix, ForwardHooks hooks) {
    String wName = prefix + ".weight";
    NDArray y = x.matMul(inOut(wName, x.getManager()));
    NDArray bias = weights.get(prefix + ".bias");
    if (bias != null) y = y.add(bias);
    LowRankAdapter lora = hooks.adapters.get(wName);
    if (lora != null) y = y.add(x.matMul(lora.down()).matMul(lora.up()).mul(constant(x.getManager(), lora.scale())));
    return y;
  }

  private NDArray attention(NDArray x, int l, NDArray[] rope, NDArray mask, KvCache cache, ForwardHooks hooks,
      long batch, int length, int past) {
    int hd = config.headDim();
    int heads = config.numHeads();
    int kvHeads = config.numKvHeads();
    int groups = config.kvGroups();
    NDArray q = linear(x, layerWeight(l, "self_attn.q_proj"), hooks).reshape(batch, length, heads, hd).transpose(0, 2, 1, 3);
    NDArray k = linear(x, layerWeight(l, "self_attn.k_proj"), hooks).reshape(batch, length, kvHeads, hd).transpose(0, 2, 1, 3);
    NDArray v = linear(x, layerWeight(l, "self_attn.v_proj"), hooks).reshape(batch, length, kvHeads, hd).transpose(0, 2, 1, 3);
    q = Rope.apply(q, rope[0], rope[1], hd);
    k = Rope.apply(k, rope[0], rope[1], hd);
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
    long keysLen = past + length;
    // Grouped-query attention without materialising repeated K/V: fold the query heads that share a
    // KV head into the sequence axis, attend, then unfold.
    NDArray qg = q.reshape(batch, kvHeads, (long) groups * length, hd);
    NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).div(constant(qg.getManager(), (float) Math.sqrt(hd)));
    scores = scores.reshape(batch, kvHeads, groups, length, keysLen);
    if (mask != null) scores = scores.add(mask);
    NDArray probs = scores.softmax(-1).reshape(batch, kvHeads, (long) groups * length, keysLen);
    NDArray ctx = probs.matMul(v).reshape(batch, heads, length, hd).transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * hd);
    return linear(ctx, layerWeight(l, "self_attn.o_proj"), hooks);
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
