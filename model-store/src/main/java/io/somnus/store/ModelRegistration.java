package io.somnus.store;

/** A model version registered in the tracking server's model registry (MLflow numbers them 1, 2, ...). */
public record ModelRegistration(String modelName, String version, String source, String runId) {}
