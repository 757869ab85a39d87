package io.somnus.engine.memory;

import java.util.List;

/**
 * One MEMIT edit: the facts it wrote and its per-layer weight changes, kept apart from the base
 * weights so that consolidation can scale it (1.0 → 0.5 → 0.1 → 0.0) or remove it exactly.
 * Effective weight = base + Σ scale_e · Σ_layers ΔW_e.
 *
 * @param id stable identifier (content hash of facts + deltas is a good choice; never reused)
 * @param facts the facts this edit was solved for (a batch edit holds several)
 * @param deltas one factored ΔW per edited weight
 */
public record MemitEdit(String id, List<Fact> facts, List<LayerDelta> deltas) {
  public MemitEdit {
    if (id == null || id.isBlank()) throw new IllegalArgumentException("edit id is empty");
    facts = List.copyOf(facts);
    deltas = List.copyOf(deltas);
    if (facts.isEmpty()) throw new IllegalArgumentException("edit " + id + " holds no facts");
    if (deltas.isEmpty()) throw new IllegalArgumentException("edit " + id + " changes no weights");
  }

  public boolean isFinite() {
    return deltas.stream().allMatch(LayerDelta::isFinite);
  }
}
