package io.somnus.store;

/**
 * A MEMIT edit as part of a model version: its id, the artifact holding its factored deltas
 * (see {@link EditArtifacts}), and the scale it is applied with (1.0 → 0.5 → 0.1 → 0.0).
 */
public record EditRef(String editId, String key, float scale) {
  public EditRef {
    if (editId == null || editId.isBlank()) throw new IllegalArgumentException("edit id is empty");
    if (!ContentKeys.isContentKey(key)) throw new IllegalArgumentException("edit " + editId + ": not a content key: " + key);
    if (!Float.isFinite(scale) || scale < 0f) throw new IllegalArgumentException("edit " + editId + ": scale must be finite and >= 0, got " + scale);
  }
}
