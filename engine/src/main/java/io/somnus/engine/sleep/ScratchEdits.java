package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A MEMIT editor on a scratch copy of a memory state, for the steps that change a state's edits (a wake write, a
 * null-space refresh) without touching the model that serves it: the state's fused weights with its MEMIT settings,
 * key statistics collected on those weights before the edits go on (so every version sharing a fused checkpoint reuses
 * one cached file), then the state's edits at their scales in an {@link EditSet}.
 */
public final class ScratchEdits implements AutoCloseable {
  private final ComposedModel model;
  private final EditSet set;
  private final MemitEditor editor;

  /**
   * @param statsTexts generic text for MEMIT's key statistics
   * @param statsCache folder caching those statistics, or null
   */
  public ScratchEdits(MemoryState state, List<String> statsTexts, Path statsCache, Device device) {
    model = ComposedModel.load(state.fusedCheckpoint(), List.of(), Map.of(), device);
    try {
      MemitConfig config = MemitConfig.forCheckpoint(state.fusedCheckpoint(), model.runtime().config().numLayers());
      CovarianceStats stats = CovarianceStats.loadOrCollect(model.model(), model.tokenizer(), config.layers(), statsTexts, statsCache);
      set = EditSet.reapply(model.model(), state.editsAtScales());
      editor = new MemitEditor(model.runtime(), config, stats);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  public EditSet set() {
    return set;
  }

  public MemitEditor editor() {
    return editor;
  }

  /** The scratch model, with the set's edits applied. */
  public ModelRuntime runtime() {
    return model.runtime();
  }

  @Override
  public void close() {
    try {
      set.close();
    } finally {
      model.close();
    }
  }
}
