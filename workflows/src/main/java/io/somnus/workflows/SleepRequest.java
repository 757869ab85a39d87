package io.somnus.workflows;

/**
 * Input of a sleep.
 *
 * @param runId Somnus run id shared by the ledger snapshot, the version and the tracking run; null lets
 *     the workflow derive one from its own ids (deterministically)
 * @param gpuWorkers whether heavy steps go to the "gpu" queue; decided by whoever starts the sleep,
 *     from configuration, so the workflow never has to discover workers
 */
public record SleepRequest(String modelId, String runId, boolean gpuWorkers, SleepPolicy policy) {
  public SleepRequest {
    if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("model id is empty");
    if (policy == null) policy = SleepPolicy.defaults();
  }
}
