package io.somnus.engine.memory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.LlamaModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weight memory: the MEMIT edits active on a model and their scales. Every edited weight is
 * kept as {@code base + Σ scale_e · ΔW_e}, recomputed from a private copy of the base weight
 * whenever an edit or scale changes, so that scaling to zero or removing an edit restores the base
 * bit for bit (add-then-subtract in floating point would not — the reference's bf16 bookkeeping,
 * spec §4.8) and the order of operations never matters.
 *
 * <p>The base copy of a weight is taken the first time an edit touches it. Anything else that
 * changes that weight afterwards (a LoRA fuse) must happen on another model: to carry edits over
 * to a candidate model whose weights do not contain them, use {@link #reapply}.
 *
 * <p>Not thread-safe; one set per model.
 */
public final class EditSet implements AutoCloseable {
  private final LlamaModel model;
  private final NDManager manager;
  private final Map<String, NDArray> base = new LinkedHashMap<>();
  private final Map<String, MemitEdit> edits = new LinkedHashMap<>();
  private final Map<String, Float> scales = new LinkedHashMap<>();

  public EditSet(LlamaModel model) {
    this.model = model;
    this.manager = model.manager().newSubManager();
  }

  /** Thrown when applying an edit would leave non-finite weights; the edit is not kept. */
  public static final class NonFiniteEditException extends IllegalStateException {
    public NonFiniteEditException(String message) {
      super(message);
    }
  }

  /**
   * A new set on {@code model} (whose weights must not contain these edits yet, e.g. a freshly
   * loaded base or LoRA-fused candidate) with every edit applied at its scale, in map order.
   */
  public static EditSet reapply(LlamaModel model, Map<MemitEdit, Float> editsAtScales) {
    EditSet set = new EditSet(model);
    try {
      for (Map.Entry<MemitEdit, Float> e : editsAtScales.entrySet()) set.apply(e.getKey(), e.getValue());
      return set;
    } catch (RuntimeException e) {
      set.close();
      throw e;
    }
  }

  /** Adds an edit at {@code scale}; rolls back and throws if any affected weight becomes non-finite. */
  public void apply(MemitEdit edit, float scale) {
    checkScale(scale);
    if (edits.containsKey(edit.id())) throw new IllegalArgumentException("edit " + edit.id() + " is already applied");
    if (!edit.isFinite()) throw new NonFiniteEditException("edit " + edit.id() + " contains non-finite values; not applied");
    for (LayerDelta d : edit.deltas()) {
      long[] shape = model.weight(d.weightName()).getShape().getShape();
      if (shape[0] != d.rows() || shape[1] != d.cols()) {
        throw new IllegalArgumentException("edit " + edit.id() + " targets " + d.weightName() + " as " + d.rows() + "×"
            + d.cols() + " but the weight is " + shape[0] + "×" + shape[1]);
      }
    }
    edits.put(edit.id(), edit);
    scales.put(edit.id(), scale);
    Set<String> touched = weightsOf(edit);
    try {
      rebuild(touched);
    } catch (NonFiniteEditException e) {
      edits.remove(edit.id());
      scales.remove(edit.id());
      rebuild(touched);
      throw e;
    }
  }

  /** Changes an edit's scale (1.0 → 0.5 → 0.1 → 0.0 during consolidation). */
  public void setScale(String editId, float scale) {
    checkScale(scale);
    MemitEdit e = require(editId);
    float old = scales.put(editId, scale);
    try {
      rebuild(weightsOf(e));
    } catch (NonFiniteEditException ex) {
      scales.put(editId, old);
      rebuild(weightsOf(e));
      throw ex;
    }
  }

  /** Removes an edit entirely; the weights return to what they would be had it never been applied. */
  public void remove(String editId) {
    MemitEdit e = require(editId);
    edits.remove(editId);
    scales.remove(editId);
    rebuild(weightsOf(e));
  }

  public float scale(String editId) {
    require(editId);
    return scales.get(editId);
  }

  public List<MemitEdit> edits() {
    return Collections.unmodifiableList(new ArrayList<>(edits.values()));
  }

  public Map<String, Float> scales() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(scales));
  }

  /** Facts of every edit whose scale is not zero. */
  public List<Fact> activeFacts() {
    List<Fact> out = new ArrayList<>();
    for (MemitEdit e : edits.values()) if (scales.get(e.id()) != 0f) out.addAll(e.facts());
    return out;
  }

  public MemitEdit editOf(Fact fact) {
    for (MemitEdit e : edits.values()) if (e.facts().contains(fact)) return e;
    return null;
  }

  private static void checkScale(float scale) {
    if (!Float.isFinite(scale)) throw new IllegalArgumentException("edit scale must be finite, got " + scale);
  }

  /** The scale of every active edit, for {@link #reapply} on another model. */
  public Map<MemitEdit, Float> editsAtScales() {
    Map<MemitEdit, Float> out = new LinkedHashMap<>();
    for (MemitEdit e : edits.values()) out.put(e, scales.get(e.id()));
    return out;
  }

  private MemitEdit require(String id) {
    MemitEdit e = edits.get(id);
    if (e == null) throw new IllegalArgumentException("no edit " + id + " in this set");
    return e;
  }

  private static Set<String> weightsOf(MemitEdit e) {
    Set<String> out = new LinkedHashSet<>();
    for (LayerDelta d : e.deltas()) out.add(d.weightName());
    return out;
  }

  private void rebuild(Set<String> weights) {
    for (String name : weights) {
      NDArray live = model.weight(name);
      NDArray b = base.computeIfAbsent(name, n -> {
        NDArray copy = live.duplicate();
        copy.attach(manager);
        return copy;
      });
      try (NDManager tmp = manager.newSubManager()) {
        NDArray w = b.duplicate();
        w.attach(tmp);
        // Sum in id order, not application order: float addition is not associative, and the
        // effective weight must not depend on the history that led to the same set of scales.
        for (MemitEdit e : new java.util.TreeMap<>(edits).values()) {
          float s = scales.get(e.id());
          if (s == 0f) continue;
          for (LayerDelta d : e.deltas()) {
            if (!d.weightName().equals(name)) continue;
            NDArray u = tmp.create(d.u(), new Shape(d.rows(), d.rank()));
            NDArray v = tmp.create(d.v(), new Shape(d.cols(), d.rank()));
            w.addi(u.matMul(v.transpose()).muli(s));
          }
        }
        if (!Float.isFinite(w.sum().getFloat())) {
          throw new NonFiniteEditException("weight " + name + " would become non-finite");
        }
        model.setWeight(name, w);
      }
    }
  }

  /** Drops the private base copies; the model keeps its current (edited) weights. */
  @Override
  public void close() {
    manager.close();
  }
}
