package io.somnus.engine.sleep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model as Somnus serves it: fused weights (base plus every promoted LoRA merge) with MEMIT edits
 * on top at their scales, {@code W = W_fused + Σ_e scale_e · U_e·V_eᵀ}. Every edited weight is
 * recomputed from the fused host copy whenever a scale changes, in edit order, so the same fused
 * checkpoint, edits and scales always give bit-identical weights: after a process restart, and
 * after scaling an edit to zero and back (add-then-subtract would drift).
 *
 * <p>Deliberately not built on {@link io.somnus.engine.memory.EditSet}: that sums edits in id order
 * (ids are content hashes) from a device copy of each edited weight and reports non-finite results
 * as its own exception, while this sums in edit order from the fused host copy it keeps anyway for
 * promotion, and checks scales against [0, 1].
 */
public final class ComposedModel implements AutoCloseable {
  private final Map<String, HostTensor> fused;
  private final Map<String, MemitEdit> edits = new LinkedHashMap<>();
  private final Map<String, Float> scales = new LinkedHashMap<>();
  private final DjlModelRuntime runtime;

  private ComposedModel(Map<String, HostTensor> fused, DjlModelRuntime runtime) {
    this.fused = fused;
    this.runtime = runtime;
  }

  /** Loads a fused checkpoint directory and applies the edits at their scales. */
  public static ComposedModel load(Path checkpoint, List<MemitEdit> edits, Map<String, Float> scales, Device device) {
    Checkpoint.Contents c = Checkpoint.load(checkpoint);
    return of(c.config(), c.tensors(), checkpoint, edits, scales, device);
  }

  /**
   * Builds the model from fused host weights (not copied: they must not be written to afterwards)
   * with the tokenizer of {@code tokenizerDir}.
   */
  public static ComposedModel of(LlamaConfig config, Map<String, HostTensor> fused, Path tokenizerDir,
      List<MemitEdit> edits, Map<String, Float> scales, Device device) {
    TextTokenizer tok = TextTokenizer.load(tokenizerDir, config.eosTokenIds());
    LlamaModel model;
    try {
      model = LlamaModel.fromHost(config, fused, device);
    } catch (RuntimeException e) {
      tok.close();
      throw e;
    }
    ComposedModel cm = new ComposedModel(Collections.unmodifiableMap(new LinkedHashMap<>(fused)), new DjlModelRuntime(model, tok, tokenizerDir));
    try {
      for (MemitEdit e : edits) cm.add(e, scaleOf(scales, e));
      cm.rebuild(cm.touched(cm.edits.values()));
      return cm;
    } catch (RuntimeException e) {
      cm.close();
      throw e;
    }
  }

  private static float scaleOf(Map<String, Float> scales, MemitEdit e) {
    Float s = scales.get(e.id());
    if (s == null) throw new IllegalArgumentException("no scale given for edit " + e.id());
    return s;
  }

  private void add(MemitEdit e, float scale) {
    if (edits.containsKey(e.id())) throw new IllegalArgumentException("edit " + e.id() + " is listed twice");
    if (!e.isFinite()) throw new IllegalArgumentException("edit " + e.id() + " holds non-finite values");
    if (!(scale >= 0 && scale <= 1)) throw new IllegalArgumentException("scale of edit " + e.id() + " must be in [0, 1], got " + scale);
    for (LayerDelta d : e.deltas()) {
      HostTensor w = fused.get(d.weightName());
      if (w == null) throw new IllegalArgumentException("edit " + e.id() + " targets " + d.weightName() + ", which the model does not have");
      long[] s = w.shape();
      if (s.length != 2 || s[0] != d.rows() || s[1] != d.cols()) {
        throw new IllegalArgumentException("edit " + e.id() + " targets " + d.weightName() + " as " + d.rows() + "×" + d.cols()
            + " but the weight is " + java.util.Arrays.toString(s));
      }
    }
    edits.put(e.id(), e);
    scales.put(e.id(), scale);
  }

  public ModelRuntime runtime() {
    return runtime;
  }

  public LlamaModel model() {
    return runtime.model();
  }

  public TextTokenizer tokenizer() {
    return runtime.tokenizer();
  }

  /** The fused weights without any MEMIT edit: what a promotion stores. */
  public Map<String, HostTensor> fused() {
    return fused;
  }

  public List<MemitEdit> edits() {
    return List.copyOf(edits.values());
  }

  public Map<String, Float> scales() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(scales));
  }

  public float scale(String editId) {
    Float s = scales.get(editId);
    if (s == null) throw new IllegalArgumentException("no edit " + editId + " in this model");
    return s;
  }

  public void setScale(String editId, float scale) {
    setScales(Map.of(editId, scale));
  }

  /** Changes the given edits' scales and recomputes the weights they touch. */
  public void setScales(Map<String, Float> changes) {
    Set<MemitEdit> changed = new LinkedHashSet<>();
    for (Map.Entry<String, Float> c : changes.entrySet()) {
      MemitEdit e = edits.get(c.getKey());
      if (e == null) throw new IllegalArgumentException("no edit " + c.getKey() + " in this model");
      float s = c.getValue();
      if (!(s >= 0 && s <= 1)) throw new IllegalArgumentException("scale of edit " + e.id() + " must be in [0, 1], got " + s);
      if (scales.get(e.id()) != s) changed.add(e);
    }
    Map<String, Float> old = new LinkedHashMap<>(scales);
    scales.putAll(changes);
    try {
      rebuild(touched(changed));
    } catch (RuntimeException ex) {
      scales.putAll(old);
      rebuild(touched(changed));
      throw ex;
    }
  }

  private static Set<String> touched(Iterable<MemitEdit> es) {
    Set<String> out = new LinkedHashSet<>();
    for (MemitEdit e : es) for (LayerDelta d : e.deltas()) out.add(d.weightName());
    return out;
  }

  private void rebuild(Set<String> weights) {
    LlamaModel model = runtime.model();
    for (String name : weights) {
      HostTensor base = fused.get(name);
      try (NDManager tmp = model.manager().newSubManager()) {
        NDArray w = tmp.create(base.data(), new Shape(base.shape()));
        for (MemitEdit e : edits.values()) {
          float s = scales.get(e.id());
          if (s == 0f) continue;
          for (LayerDelta d : e.deltas()) {
            if (!d.weightName().equals(name)) continue;
            NDArray u = tmp.create(d.u(), new Shape(d.rows(), d.rank()));
            NDArray v = tmp.create(d.v(), new Shape(d.cols(), d.rank()));
            w = w.add(u.matMul(v.transpose()).mul(s));
          }
        }
        if (!Float.isFinite(w.abs().sum().getFloat())) throw new NonFiniteWeightsException(name, -1, "applying MEMIT edits");
        model.setWeight(name, w);
      }
    }
  }

  @Override
  public void close() {
    runtime.close();
  }
}
