package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Tracking} on an MLflow 2.x tracking and model-registry server, over its REST API 2.0
 * ({@link MlflowRestClient}). Checked against MLflow 2.17.2's own server in CI.
 *
 * <p>Requests are kept few: experiment ids and ensured registered models are cached per instance, and an experiment
 * found missing by a search is created without being looked up again, so the first report of a new model costs one
 * lookup (404) and one create.
 */
public final class MlflowTracking implements Tracking {
  /** Per-request limits of runs/log-batch, from the MLflow REST API documentation. */
  static final int MAX_METRICS_PER_BATCH = 1000;
  static final int MAX_PARAMS_PER_BATCH = 100;
  static final int MAX_TAGS_PER_BATCH = 100;
  private static final int PAGE = 1000;
  /** Four attempts over about two seconds: rides out a server restart's refused connections, then reports. */
  static final RetryPolicy RETRY = new RetryPolicy(4, Duration.ofMillis(250), Duration.ofSeconds(4));

  private final MlflowRestClient api;
  private final Map<String, String> experimentIds = new ConcurrentHashMap<>();
  private final Map<String, String> experimentNames = new ConcurrentHashMap<>();
  /** Experiments a lookup found missing: the next create goes straight to experiments/create. */
  private final Set<String> missingExperiments = ConcurrentHashMap.newKeySet();
  private final Set<String> ensuredModels = ConcurrentHashMap.newKeySet();

  public MlflowTracking(String trackingUri) {
    this(trackingUri, RETRY);
  }

  MlflowTracking(String trackingUri, RetryPolicy retry) {
    this.api = new MlflowRestClient(trackingUri, retry, Duration.ofSeconds(60));
  }

  /** The server, e.g. {@code http://127.0.0.1:5000}. */
  public String uri() {
    return api.describe();
  }

  @Override
  public String startRun(String experiment, String runName, Map<String, String> tags, Instant startTime) {
    ObjectNode req = Json.MAPPER.createObjectNode()
        .put("experiment_id", experimentId(experiment, true))
        .put("start_time", (startTime == null ? Instant.now() : startTime).toEpochMilli());
    if (runName != null) req.put("run_name", runName);
    ArrayNode t = req.putArray("tags");
    tags.forEach((k, v) -> {
      Tracking.checkKey("tag", k);
      t.addObject().put("key", k).put("value", v);
    });
    return api.post("runs/create", req).path("run").path("info").path("run_id").asText();
  }

  @Override
  public void logParams(String runId, Map<String, String> params) {
    Map<String, String> fresh = Tracking.newParams(runId, getRun(runId).params(), params);
    List<Map.Entry<String, String>> all = new ArrayList<>(fresh.entrySet());
    for (int i = 0; i < all.size(); i += MAX_PARAMS_PER_BATCH) {
      ObjectNode req = Json.MAPPER.createObjectNode().put("run_id", runId);
      ArrayNode ps = req.putArray("params");
      all.subList(i, Math.min(all.size(), i + MAX_PARAMS_PER_BATCH)).forEach(e -> ps.addObject().put("key", e.getKey()).put("value", e.getValue()));
      try {
        api.post("runs/log-batch", req);
      } catch (MlflowApiException e) {
        // Another writer logged a different value since we read the run: say which, as for our own check.
        if (e.status() == 400 && e.serverMessage().contains("Changing param values")) Tracking.newParams(runId, getRun(runId).params(), fresh);
        throw e;
      }
    }
  }

  @Override
  public void logMetrics(String runId, List<MetricPoint> metrics) {
    for (int i = 0; i < metrics.size(); i += MAX_METRICS_PER_BATCH) {
      ObjectNode req = Json.MAPPER.createObjectNode().put("run_id", runId);
      ArrayNode ms = req.putArray("metrics");
      for (MetricPoint m : metrics.subList(i, Math.min(metrics.size(), i + MAX_METRICS_PER_BATCH))) {
        ObjectNode n = ms.addObject().put("key", m.key()).put("step", m.step()).put("timestamp", m.timestampMillis());
        // JSON has no NaN or infinity; MLflow reads them from these strings.
        if (Double.isFinite(m.value())) n.put("value", m.value());
        else n.put("value", Double.isNaN(m.value()) ? "NaN" : m.value() > 0 ? "Infinity" : "-Infinity");
      }
      api.post("runs/log-batch", req);
    }
  }

  @Override
  public void setTag(String runId, String key, String value) {
    Tracking.checkKey("tag", key);
    api.post("runs/set-tag", Json.MAPPER.createObjectNode().put("run_id", runId).put("key", key).put("value", value));
  }

  @Override
  public void setTags(String runId, Map<String, String> tags) {
    List<Map.Entry<String, String>> all = new ArrayList<>(new TreeMap<>(tags).entrySet());
    for (int i = 0; i < all.size(); i += MAX_TAGS_PER_BATCH) {
      ObjectNode req = Json.MAPPER.createObjectNode().put("run_id", runId);
      ArrayNode ts = req.putArray("tags");
      for (Map.Entry<String, String> e : all.subList(i, Math.min(all.size(), i + MAX_TAGS_PER_BATCH))) {
        Tracking.checkKey("tag", e.getKey());
        ts.addObject().put("key", e.getKey()).put("value", e.getValue());
      }
      api.post("runs/log-batch", req);
    }
  }

  @Override
  public void endRun(String runId, RunStatus status, Instant endTime) {
    api.post("runs/update", Json.MAPPER.createObjectNode().put("run_id", runId).put("status", status.name())
        .put("end_time", (endTime == null ? Instant.now() : endTime).toEpochMilli()));
  }

  @Override
  public TrackedRun getRun(String runId) {
    return toRun(api.get("runs/get", Map.of("run_id", runId)).path("run"));
  }

  @Override
  public List<TrackedRun> searchRuns(String experiment, Map<String, String> tagEquals) {
    String id = experimentId(experiment, false);
    if (id == null) return List.of();
    String filter = MlflowFilter.tagsEqual(tagEquals);
    List<TrackedRun> out = new ArrayList<>();
    String token = null;
    do {
      ObjectNode req = Json.MAPPER.createObjectNode().put("filter", filter).put("max_results", PAGE).put("run_view_type", "ACTIVE_ONLY");
      req.putArray("experiment_ids").add(id);
      req.putArray("order_by").add("attributes.start_time DESC");
      if (token != null) req.put("page_token", token);
      JsonNode page = api.post("runs/search", req);
      for (JsonNode r : page.path("runs")) {
        TrackedRun run = toRun(r);
        if (MlflowFilter.matches(run.tags(), tagEquals)) out.add(run);
      }
      token = page.path("next_page_token").asText(null);
    } while (token != null && !token.isEmpty());
    return out;
  }

  @Override
  public List<MetricPoint> metricHistory(String runId, String key) {
    List<MetricPoint> out = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("run_id", runId);
      q.put("metric_key", key);
      if (token != null) q.put("page_token", token);
      JsonNode page = api.get("metrics/get-history", q);
      for (JsonNode m : page.path("metrics")) out.add(new MetricPoint(m.path("key").asText(), number(m.path("value")), m.path("step").asLong(), m.path("timestamp").asLong()));
      token = page.path("next_page_token").asText(null);
    } while (token != null && !token.isEmpty());
    out.sort(Comparator.comparingLong(MetricPoint::step).thenComparingLong(MetricPoint::timestampMillis));
    return out;
  }

  @Override
  public Optional<RegisteredModel> registeredModel(String name) {
    JsonNode m;
    try {
      m = api.get("registered-models/get", Map.of("name", name)).path("registered_model");
    } catch (MlflowApiException e) {
      if (e.isNotFound()) return Optional.empty();
      throw e;
    }
    Map<String, String> aliases = new TreeMap<>();
    m.path("aliases").forEach(a -> aliases.put(a.path("alias").asText(), a.path("version").asText()));
    return Optional.of(new RegisteredModel(m.path("name").asText(), m.path("description").asText(null), tags(m.path("tags")), aliases));
  }

  @Override
  public void ensureRegisteredModel(String name, String description) {
    if (ensuredModels.contains(name)) return;
    ObjectNode req = Json.MAPPER.createObjectNode().put("name", name);
    if (description != null) req.put("description", description);
    try {
      api.post("registered-models/create", req);
    } catch (MlflowApiException e) {
      if (!e.isAlreadyExists()) throw e; // registered earlier, maybe by another process
    }
    ensuredModels.add(name);
  }

  @Override
  public void setRegisteredModelTag(String name, String key, String value) {
    Tracking.checkKey("tag", key);
    api.post("registered-models/set-tag", Json.MAPPER.createObjectNode().put("name", name).put("key", key).put("value", value));
  }

  @Override
  public ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags,
      String description) {
    ensureRegisteredModel(modelName, null);
    ObjectNode req = Json.MAPPER.createObjectNode().put("name", modelName).put("source", source);
    if (runId != null) req.put("run_id", runId);
    if (description != null) req.put("description", description);
    ArrayNode t = req.putArray("tags");
    tags.forEach((k, v) -> {
      Tracking.checkKey("tag", k);
      t.addObject().put("key", k).put("value", v);
    });
    JsonNode v = api.post("model-versions/create", req).path("model_version");
    if (v.isMissingNode()) throw new TrackingException("MLflow at " + uri() + ": model-versions/create answered without a model_version");
    return toRegistration(v);
  }

  @Override
  public List<ModelRegistration> modelVersions(String modelName) {
    List<ModelRegistration> out = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("filter", MlflowFilter.equality("name", modelName));
      q.put("max_results", Integer.toString(PAGE));
      if (token != null) q.put("page_token", token);
      JsonNode page = api.get("model-versions/search", q);
      for (JsonNode v : page.path("model_versions")) {
        if (v.path("name").asText().equals(modelName)) out.add(toRegistration(v));
      }
      token = page.path("next_page_token").asText(null);
    } while (token != null && !token.isEmpty());
    out.sort(Comparator.comparingLong(r -> Long.parseLong(r.version())));
    return out;
  }

  @Override
  public void deleteModelVersion(String modelName, String version) {
    api.delete("model-versions/delete", Json.MAPPER.createObjectNode().put("name", modelName).put("version", version));
  }

  @Override
  public void setModelAlias(String modelName, String alias, String version) {
    Tracking.checkAlias(alias);
    api.post("registered-models/alias", Json.MAPPER.createObjectNode().put("name", modelName).put("alias", alias).put("version", version));
  }

  @Override
  public void deleteModelAlias(String modelName, String alias) {
    Tracking.checkAlias(alias);
    try {
      api.delete("registered-models/alias", Json.MAPPER.createObjectNode().put("name", modelName).put("alias", alias));
    } catch (MlflowApiException e) {
      if (!e.isNotFound()) throw e;
    }
  }

  @Override
  public void close() {
    api.close();
  }

  /** The experiment's id; with {@code create}, created when missing. Null when missing and not created. */
  private String experimentId(String name, boolean create) {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("experiment name is empty");
    String known = experimentIds.get(name);
    if (known != null) return known;
    String id = create && missingExperiments.contains(name) ? null : lookUpExperiment(name);
    if (id == null && create) id = createExperiment(name);
    if (id == null) {
      missingExperiments.add(name);
      return null;
    }
    missingExperiments.remove(name);
    experimentIds.put(name, id);
    experimentNames.put(id, name);
    return id;
  }

  private String lookUpExperiment(String name) {
    try {
      return api.get("experiments/get-by-name", Map.of("experiment_name", name)).path("experiment").path("experiment_id").asText();
    } catch (MlflowApiException e) {
      if (e.isNotFound()) return null;
      throw e;
    }
  }

  private String createExperiment(String name) {
    try {
      return api.post("experiments/create", Json.MAPPER.createObjectNode().put("name", name)).path("experiment_id").asText();
    } catch (MlflowApiException e) {
      if (!e.isAlreadyExists()) throw e;
      String id = lookUpExperiment(name); // created meanwhile by another process
      if (id == null) throw e;
      return id;
    }
  }

  private String experimentName(String id) {
    return experimentNames.computeIfAbsent(id, k -> api.get("experiments/get", Map.of("experiment_id", k)).path("experiment").path("name").asText());
  }

  private TrackedRun toRun(JsonNode r) {
    JsonNode info = r.path("info");
    JsonNode data = r.path("data");
    Map<String, String> params = tags(data.path("params"));
    Map<String, String> tags = tags(data.path("tags"));
    Map<String, Double> metrics = new TreeMap<>();
    data.path("metrics").forEach(m -> metrics.put(m.path("key").asText(), number(m.path("value"))));
    long start = info.path("start_time").asLong(0);
    long end = info.path("end_time").asLong(0);
    String name = info.hasNonNull("run_name") ? info.path("run_name").asText() : tags.get("mlflow.runName");
    return new TrackedRun(info.path("run_id").asText(), experimentName(info.path("experiment_id").asText()), name,
        RunStatus.valueOf(info.path("status").asText("RUNNING")), start > 0 ? Instant.ofEpochMilli(start) : null,
        end > 0 ? Instant.ofEpochMilli(end) : null, params, tags, metrics);
  }

  private static ModelRegistration toRegistration(JsonNode v) {
    String runId = v.path("run_id").asText("");
    String description = v.path("description").asText("");
    return new ModelRegistration(v.path("name").asText(), v.path("version").asText(), v.path("source").asText(),
        runId.isEmpty() ? null : runId, tags(v.path("tags")), description.isEmpty() ? null : description);
  }

  private static Map<String, String> tags(JsonNode list) {
    Map<String, String> out = new HashMap<>();
    list.forEach(t -> out.put(t.path("key").asText(), t.path("value").asText()));
    return new TreeMap<>(out);
  }

  /** MLflow writes NaN and infinities as strings. */
  private static double number(JsonNode n) {
    return n.isNumber() ? n.asDouble() : Double.parseDouble(n.asText());
  }
}
