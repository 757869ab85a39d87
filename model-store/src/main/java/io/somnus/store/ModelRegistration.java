package io.somnus.store;

import java.util.Map;
import java.util.TreeMap;

/**
 * A model version registered in the tracking server's model registry (MLflow numbers them 1, 2, ...).
 *
 * @param runId the tracking run it links to, null when none
 */
public record ModelRegistration(String modelName, String version, String source, String runId, Map<String, String> tags,
    String description) {
  public ModelRegistration {
    tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
  }
}
