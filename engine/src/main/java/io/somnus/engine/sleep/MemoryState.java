package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.MemitEdit;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything that determines the live model: the fused checkpoint (base plus all promoted LoRA
 * merges, no MEMIT), the MEMIT edits still in force, and the per-fact stages from which their
 * scales follow. Loading it after a restart gives the model that was live before, bit for bit.
 *
 * @param generation number of promoted sleeps that produced {@code fusedCheckpoint} (0 = base)
 * @param edits edits not yet dissolved, in application order
 */
public record MemoryState(Path fusedCheckpoint, int generation, List<MemitEdit> edits, FactStageTable stages) {
  public MemoryState {
    edits = List.copyOf(edits);
    if (generation < 0) throw new IllegalArgumentException("generation must be >= 0");
  }

  public Map<String, Float> scales() {
    return stages.scales(edits);
  }

  /** Every edit at its scale, in application order (for {@link io.somnus.engine.memory.EditSet#reapply}). */
  public Map<MemitEdit, Float> editsAtScales() {
    Map<String, Float> scales = scales();
    Map<MemitEdit, Float> out = new LinkedHashMap<>();
    for (MemitEdit e : edits) out.put(e, scales.get(e.id()));
    return out;
  }

  /** The live model of this state. */
  public ComposedModel load(Device device) {
    return ComposedModel.load(fusedCheckpoint, edits, scales(), device);
  }
}
