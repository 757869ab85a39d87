package io.somnus.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a run hands the registry to create a version.
 *
 * @param parentId version it derives from (null for a base import)
 * @param checkpointDir folder with the fused checkpoint (config.json, *.safetensors, tokenizer files)
 * @param loraHistory full ordered adapter history (parent's history plus any newly fused adapter)
 * @param memitEdits edits and scales in force in this version
 * @param runId creating run; with the content it determines the version id, so a retried run
 *     creates the same version instead of a duplicate
 */
public record NewVersion(String parentId, Path checkpointDir, List<String> loraHistory, List<EditRef> memitEdits,
    String runId, Map<String, Double> metrics) {

  public static NewVersion base(Path checkpointDir, String runId) {
    return new NewVersion(null, checkpointDir, List.of(), List.of(), runId, Map.of());
  }
}
