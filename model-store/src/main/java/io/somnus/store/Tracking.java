package io.somnus.store;

import java.util.List;
import java.util.Map;

/**
 * Experiment tracking: each sleep is a run with parameters, per-step and per-fact metrics, tags
 * (workflow and run ids) and links to its artifacts. Implemented over the MLflow Java client
 * ({@link MlflowTracking}) and, when no server is configured, over local files
 * ({@link LocalTracking}) that the CLI reads without any server.
 */
public interface Tracking extends AutoCloseable {
  /** Tag prefix under which artifact links are stored, e.g. {@code somnus.artifact.checkpoint}. */
  String ARTIFACT_TAG_PREFIX = "somnus.artifact.";

  /** Starts a run in {@code experiment} (created if missing); returns the run id. */
  String startRun(String experiment, String runName, Map<String, String> tags);

  void logParams(String runId, Map<String, String> params);

  /** Logs many metric points; sent in batches within the server's per-request limits. */
  void logMetrics(String runId, List<MetricPoint> metrics);

  void setTag(String runId, String key, String value);

  /** Records where an artifact lives (e.g. {@code s3://somnus/sha256/...}) without copying it. */
  default void logArtifactLink(String runId, String name, String uri) {
    setTag(runId, ARTIFACT_TAG_PREFIX + name, uri);
  }

  void endRun(String runId, RunStatus status);

  TrackedRun getRun(String runId);

  /** Runs of an experiment whose tags equal all of {@code tagEquals}, newest first. */
  List<TrackedRun> searchRuns(String experiment, Map<String, String> tagEquals);

  /** Every logged point of one metric, in step order. */
  List<MetricPoint> metricHistory(String runId, String key);

  /** Registers a model version (e.g. a registry version id with its source URI) under {@code modelName}. */
  ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags);

  @Override
  void close();

  /** Longest parameter value stored: older MLflow servers refuse a value over 500 characters. */
  int MAX_PARAM_VALUE = 500;

  /**
   * A parameter value as both backends store it: cut to {@link #MAX_PARAM_VALUE} characters, the last an ellipsis, so
   * that a long value (e.g. a validation reason) is kept in part instead of failing the whole run's logging.
   */
  static String paramValue(String value) {
    return value.length() <= MAX_PARAM_VALUE ? value : value.substring(0, MAX_PARAM_VALUE - 1) + "…";
  }

  /** Keys follow MLflow's rule (letters, digits, _ - . space / :), so both backends accept the same data. */
  static void checkKey(String what, String key) {
    if (key == null || key.isEmpty() || key.length() > 250 || !key.matches("[A-Za-z0-9_\\-. /:]+")) {
      throw new IllegalArgumentException("invalid " + what + " key '" + key + "' (1-250 of letters, digits, _ - . space / :)");
    }
  }
}
