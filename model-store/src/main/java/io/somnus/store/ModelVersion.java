package io.somnus.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable model version: live weights = checkpoint files (the base with every accepted LoRA
 * already fused in) + Σ scale·ΔW over the MEMIT edits. {@code loraHistory} records, in order, the
 * adapter artifacts that were fused on the way here, so lineage can say what a version is made of.
 *
 * @param id {@code mv-<16 hex>}, derived from the content (see {@link ModelRegistry})
 * @param parentId version this one was derived from; null for a base import
 * @param checkpoint files of the fused checkpoint folder
 * @param loraHistory adapter artifact keys fused so far, oldest first
 * @param memitEdits MEMIT edits applied on top, with their scales
 * @param createdByRun id of the run (sleep, import) that produced it
 * @param metrics validation figures recorded at creation (recall, perplexity, ...)
 */
public record ModelVersion(String id, String parentId, List<CheckpointFile> checkpoint, List<String> loraHistory,
    List<EditRef> memitEdits, String createdByRun, Instant createdAt, Map<String, Double> metrics) {

  public ModelVersion {
    if (id == null || !id.matches("mv-[0-9a-f]{16}")) throw new IllegalArgumentException("invalid model version id: " + id);
    checkpoint = List.copyOf(checkpoint);
    loraHistory = List.copyOf(loraHistory == null ? List.of() : loraHistory);
    memitEdits = List.copyOf(memitEdits == null ? List.of() : memitEdits);
    metrics = metrics == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(metrics));
    if (checkpoint.isEmpty()) throw new IllegalArgumentException("model version " + id + " has no checkpoint files");
    if (createdByRun == null || createdByRun.isBlank()) throw new IllegalArgumentException("model version " + id + " has no creating run");
    for (String k : loraHistory) {
      if (!ContentKeys.isContentKey(k)) throw new IllegalArgumentException("model version " + id + ": LoRA history entry is not a content key: " + k);
    }
  }

  /** Every blob this version needs, for completeness checks and garbage collection. */
  public List<String> blobKeys() {
    List<String> keys = new java.util.ArrayList<>();
    checkpoint.forEach(f -> keys.add(f.key()));
    keys.addAll(loraHistory);
    memitEdits.forEach(e -> keys.add(e.key()));
    return keys;
  }
}
