package io.somnus.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Experiment tracking and a model registry to mirror Somnus's versions in: runs with parameters, metric histories,
 * tags and artifact links; registered models with versions, tags and aliases. Implemented over MLflow's REST API
 * ({@link MlflowTracking}) and, when no server is configured, over local files ({@link LocalTracking}) that the CLI
 * reads without any server. Both keep MLflow's rules (immutable params, key syntax, identical metric points stored
 * once), so code written against one behaves the same on the other. {@link RunTracker} and {@link RegistryMirror}
 * are the Somnus-level APIs over it.
 */
public interface Tracking extends AutoCloseable {
  /** Tag prefix under which artifact links are stored, e.g. {@code somnus.artifact.adapter}. */
  String ARTIFACT_TAG_PREFIX = "somnus.artifact.";

  /** Starts a run in {@code experiment} (created if missing) at {@code startTime} (null: now); returns the run id. */
  String startRun(String experiment, String runName, Map<String, String> tags, Instant startTime);

  default String startRun(String experiment, String runName, Map<String, String> tags) {
    return startRun(experiment, runName, tags, null);
  }

  /**
   * Logs parameters. Idempotent: a key already logged with the same value is left as it is, so a retried step may log
   * its parameters again.
   *
   * @throws ParamConflictException if a key was logged with another value; then nothing of this call is logged
   */
  void logParams(String runId, Map<String, String> params);

  /**
   * Logs metric points, in batches within the server's per-request limits. A point identical to one already logged
   * (key, value, step and timestamp) is stored once, so a retried step with deterministic points changes nothing.
   */
  void logMetrics(String runId, List<MetricPoint> metrics);

  void setTag(String runId, String key, String value);

  /** Sets several tags at once (one request on MLflow). */
  void setTags(String runId, Map<String, String> tags);

  /** Records where an artifact lives (e.g. {@code s3://somnus/sha256/...}) without copying it. */
  default void logArtifactLink(String runId, String name, String uri) {
    setTag(runId, ARTIFACT_TAG_PREFIX + name, uri);
  }

  /** Ends a run with {@code status} at {@code endTime} (null: now). */
  void endRun(String runId, RunStatus status, Instant endTime);

  default void endRun(String runId, RunStatus status) {
    endRun(runId, status, null);
  }

  TrackedRun getRun(String runId);

  /** Runs of an experiment whose tags equal all of {@code tagEquals} (compared exactly), newest first. */
  List<TrackedRun> searchRuns(String experiment, Map<String, String> tagEquals);

  /** Every logged point of one metric, in step order. */
  List<MetricPoint> metricHistory(String runId, String key);

  /** The registered model, if it exists. */
  Optional<RegisteredModel> registeredModel(String name);

  /** Creates the registered model if it does not exist yet. */
  void ensureRegisteredModel(String name, String description);

  void setRegisteredModelTag(String name, String key, String value);

  /**
   * Registers a new version of {@code modelName} (created if missing), numbered 1, 2, ... as MLflow does.
   *
   * @param runId the tracking run that produced it, or null
   */
  ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags,
      String description);

  default ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags) {
    return registerModelVersion(modelName, source, runId, tags, null);
  }

  /** Every version of a registered model, oldest first; empty when the model does not exist. */
  List<ModelRegistration> modelVersions(String modelName);

  void deleteModelVersion(String modelName, String version);

  /** Points {@code alias} of a registered model at {@code version} (moving it if it pointed elsewhere). */
  void setModelAlias(String modelName, String alias, String version);

  /** Removes an alias; nothing happens when it does not exist. */
  void deleteModelAlias(String modelName, String alias);

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

  /** MLflow reserves {@code latest} and {@code v<digits>} as alias names; both backends refuse them. */
  static void checkAlias(String alias) {
    if (alias == null || alias.isBlank() || alias.length() > 255) throw new IllegalArgumentException("invalid alias '" + alias + "'");
    if (alias.equalsIgnoreCase("latest") || alias.matches("(?i)v\\d+")) {
      throw new IllegalArgumentException("alias '" + alias + "' is reserved by MLflow");
    }
  }

  /**
   * Of the {@code params} about to be logged on a run that already holds {@code logged}: the ones still to log.
   *
   * @throws ParamConflictException if any differs from its logged value
   */
  static Map<String, String> newParams(String runId, Map<String, String> logged, Map<String, String> params) {
    Map<String, String> fresh = new java.util.TreeMap<>();
    List<ParamConflictException.Conflict> conflicts = new java.util.ArrayList<>();
    params.forEach((k, value) -> {
      checkKey("param", k);
      if (value == null) throw new IllegalArgumentException("param " + k + " has no value");
      String v = paramValue(value);
      String old = logged.get(k);
      if (old == null) fresh.put(k, v);
      else if (!old.equals(v)) conflicts.add(new ParamConflictException.Conflict(k, old, v));
    });
    if (!conflicts.isEmpty()) throw new ParamConflictException(runId, conflicts);
    return fresh;
  }
}
