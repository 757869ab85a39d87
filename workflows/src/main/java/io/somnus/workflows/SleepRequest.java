package io.somnus.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

public record SleepRequest(String modelId, String runId, boolean gpuWorkers, SleepPolicy policy) {
  private static final ObjectMapper JSON = JsonMapper.builder().addModule(new JavaTimeModule()).build();

  public SleepRequest {
    if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
    if (policy == null) policy = SleepPolicy.defaults();
  }

  /** As the health check journals it, to start the same sleep again after a restart. */
  public JsonNode toJson() {
    return JSON.valueToTree(this);
  }

  public static SleepRequest fromJson(JsonNode json) {
    try {
      return JSON.treeToValue(json, SleepRequest.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not a sleep request: " + e.getOriginalMessage(), e);
    }
  }
}
