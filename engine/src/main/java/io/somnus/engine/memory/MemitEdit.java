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

  /**
   * The same facts with every delta multiplied by {@code factor}, under a new id derived from this one: an edit meant to
   * be applied at a scale below 1 that must still change the weights as its computed deltas do.
   */
  public MemitEdit scaledBy(float factor) {
    if (!(factor > 0) || !Float.isFinite(factor)) throw new IllegalArgumentException("scale factor must be finite and > 0, got " + factor);
    if (factor == 1f) return this;
    List<LayerDelta> scaled = deltas.stream().map(d -> d.scaled(factor)).toList();
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest((id + "\u0000x" + Float.floatToIntBits(factor)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return new MemitEdit("edit-" + java.util.HexFormat.of().formatHex(digest, 0, 8), facts, scaled);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }

  public boolean isFinite() {
    return deltas.stream().allMatch(LayerDelta::isFinite);
  }
}
