package io.somnus.engine.sleep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LoRA factors of one sleep, keyed by the HF name of the weight each one adapts. They live in
 * their own manager, independent of any model, so that the model they were trained on can be closed
 * before they are fused.
 */
public final class TrainedAdapters implements AutoCloseable {
  /** Suffixes under which the factors are exported: down is LoRA's Aᵀ [in, r], up is Bᵀ [r, out]. */
  public static final String DOWN = ".lora_down";
  public static final String UP = ".lora_up";

  private final NDManager manager;
  private final Map<String, NDArray> down = new LinkedHashMap<>();
  private final Map<String, NDArray> up = new LinkedHashMap<>();
  private final float scale;

  private TrainedAdapters(Device device, float scale) {
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.scale = scale;
  }

  /**
   * Fresh adapters for every target weight of {@code config}: A uniform in ±1/√in (PEFT's Kaiming
   * default), B = 0, so that before training the adapted model equals the model.
   */
  public static TrainedAdapters initialise(LlamaModel model, LoraConfig config) {
    TrainedAdapters a = new TrainedAdapters(model.device(), config.scale());
    try {
      List<String> targets = config.targetWeights(model.config());
      for (int i = 0; i < targets.size(); i++) {
        String name = targets.get(i);
        long[] shape = model.weight(name).getShape().getShape();
        int out = (int) shape[0];
        int in = (int) shape[1];
        SplittableRandom rng = new SplittableRandom(config.seed() * 1_000_003L + i);
        float bound = (float) (1 / Math.sqrt(in));
        float[] d = new float[in * config.rank()];
        for (int k = 0; k < d.length; k++) d[k] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        a.put(name, a.manager.create(d, new Shape(in, config.rank())), a.manager.zeros(new Shape(config.rank(), out)));
      }
      return a;
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  /** Adapters from exported factors (see {@link #toHost()}), e.g. an artifact of an earlier run. */
  public static TrainedAdapters fromHost(Map<String, HostTensor> factors, float scale, Device device) {
    TrainedAdapters a = new TrainedAdapters(device, scale);
    try {
      for (Map.Entry<String, HostTensor> e : factors.entrySet()) {
        if (!e.getKey().endsWith(DOWN)) continue;
        String weight = e.getKey().substring(0, e.getKey().length() - DOWN.length());
        HostTensor u = factors.get(weight + UP);
        if (u == null) throw new IllegalArgumentException("adapter for " + weight + " has a down factor but no up factor");
        HostTensor d = e.getValue();
        a.put(weight, a.manager.create(d.data(), new Shape(d.shape())), a.manager.create(u.data(), new Shape(u.shape())));
      }
      if (a.down.isEmpty()) throw new IllegalArgumentException("no adapter factors (names ending in " + DOWN + ")");
      return a;
    } catch (RuntimeException e) {
      a.close();
      throw e;
    }
  }

  private void put(String weight, NDArray d, NDArray u) {
    // Validates the factor shapes against each other.
    new LowRankAdapter(d, u, scale);
    down.put(weight, d);
    up.put(weight, u);
  }

  public float scale() {
    return scale;
  }

  public List<String> targets() {
    return List.copyOf(down.keySet());
  }

  /** The trainable factors (down and up of every target), for the optimiser. */
  Map<String, NDArray> parameters() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (String w : down.keySet()) {
      p.put(w + DOWN, down.get(w));
      p.put(w + UP, up.get(w));
    }
    return p;
  }

  NDManager manager() {
    return manager;
  }

  NDArray down(String weight) {
    return down.get(weight);
  }

  NDArray up(String weight) {
    return up.get(weight);
  }

  /** Adapters for a forward pass ({@code ForwardHooks.adapters}). */
  public Map<String, LowRankAdapter> adapters() {
    Map<String, LowRankAdapter> m = new LinkedHashMap<>();
    for (String w : down.keySet()) m.put(w, new LowRankAdapter(down.get(w), up.get(w), scale));
    return Collections.unmodifiableMap(m);
  }

  /** The factors as host tensors named {@code <weight>.lora_down} and {@code <weight>.lora_up}. */
  public Map<String, HostTensor> toHost() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    parameters().forEach((n, a) -> out.put(n, new HostTensor(n, DType.F32, a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
