package io.somnus.store;

import java.util.Map;
import java.util.TreeMap;

/**
 * A registered model as read back from tracking.
 *
 * @param aliases alias → version number (MLflow 2.x aliases, e.g. {@code live → 7})
 */
public record RegisteredModel(String name, String description, Map<String, String> tags, Map<String, String> aliases) {
  public RegisteredModel {
    tags = java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
    aliases = java.util.Collections.unmodifiableMap(new TreeMap<>(aliases));
  }
}
