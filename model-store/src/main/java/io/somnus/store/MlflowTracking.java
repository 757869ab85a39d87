package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.mlflow.api.proto.Service;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.MlflowClientException;
import org.mlflow.tracking.MlflowHttpException;
import org.mlflow.tracking.RunsPage;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * {@link Tracking} over the MLflow Java client (REST API 2.0 of MLflow 2.x tracking servers).
 * Model registry calls, which this client version does not wrap, go through its generic
 * {@code sendPost} to the documented endpoints.
 *
 * <p>Note on the client (checked with 2.17.2): its HTTP layer retries every 4xx/5xx answer up to
 * three attempts, including the expected 404 of a missing experiment and the 400 of an existing
 * registered model. Experiment ids and registered model names are therefore cached per instance
 * so those answers are provoked at most once per process.
 */
public final class MlflowTracking implements Tracking {
  /** Per-request limits of runs/log-batch, from the MLflow REST API documentation. */
  static final int MAX_METRICS_PER_BATCH = 1000;
  static final int MAX_PARAMS_PER_BATCH = 100;
  static final int MAX_TAGS_PER_BATCH = 100;

  private final MlflowClient client;
  private final String uri;
  private final Map<String, String> experimentNames = new ConcurrentHashMap<>();
  private final Map<String, String> experimentIds = new ConcurrentHashMap<>();
  private final java.util.Set<String> ensuredModels = ConcurrentHashMap.newKeySet();

  public MlflowTracking(String trackingUri) {
    this.uri = trackingUri;
    this.client = new MlflowClient(new BasicMlflowHostCreds(trackingUri));
  }

  @Override
  public String startRun(String experiment, String runName, Map<String, String> tags) {
    String experimentId = call("find or create experiment " + experiment, () -> experimentId(experiment, true));
    Service.CreateRun.Builder req = Service.CreateRun.newBuilder()
        .setExperimentId(experimentId)
        .setStartTime(System.currentTimeMillis());
    if (runName != null) req.setRunName(runName);
    tags.forEach((k, v) -> req.addTags(tag(k, v)));
    return call("create run in " + experiment, () -> client.createRun(req.build()).getRunId());
  }

  @Override
  public void logParams(String runId, Map<String, String> params) {
    List<Service.Param> all = new ArrayList<>();
    params.forEach((k, v) -> {
      Tracking.checkKey("param", k);
      all.add(Service.Param.newBuilder().setKey(k).setValue(Tracking.paramValue(v)).build());
    });
    for (int i = 0; i < all.size(); i += MAX_PARAMS_PER_BATCH) {
      List<Service.Param> chunk = all.subList(i, Math.min(all.size(), i + MAX_PARAMS_PER_BATCH));
      call("log params of run " + runId, () -> {
        client.logBatch(runId, List.of(), chunk, List.of());
        return null;
      });
    }
  }

  @Override
  public void logMetrics(String runId, List<MetricPoint> metrics) {
    List<Service.Metric> all = new ArrayList<>(metrics.size());
    for (MetricPoint m : metrics) {
      all.add(Service.Metric.newBuilder().setKey(m.key()).setValue(m.value()).setStep(m.step()).setTimestamp(m.timestampMillis()).build());
    }
    for (int i = 0; i < all.size(); i += MAX_METRICS_PER_BATCH) {
      List<Service.Metric> chunk = all.subList(i, Math.min(all.size(), i + MAX_METRICS_PER_BATCH));
      call("log metrics of run " + runId, () -> {
        client.logBatch(runId, chunk, List.of(), List.of());
        return null;
      });
    }
  }

  @Override
  public void setTag(String runId, String key, String value) {
    Tracking.checkKey("tag", key);
    call("set tag " + key + " on run " + runId, () -> {
      client.setTag(runId, key, value);
      return null;
    });
  }

  @Override
  public void endRun(String runId, RunStatus status) {
    Service.RunStatus s = Service.RunStatus.valueOf(status.name());
    call("end run " + runId, () -> {
      client.setTerminated(runId, s, System.currentTimeMillis());
      return null;
    });
  }

  @Override
  public TrackedRun getRun(String runId) {
    return call("get run " + runId, () -> toRun(client.getRun(runId)));
  }

  @Override
  public List<TrackedRun> searchRuns(String experiment, Map<String, String> tagEquals) {
    return call("search runs of " + experiment, () -> {
      String id = experimentId(experiment, false);
      if (id == null) return List.<TrackedRun>of();
      StringBuilder filter = new StringBuilder();
      for (Map.Entry<String, String> e : new TreeMap<>(tagEquals).entrySet()) {
        Tracking.checkKey("tag", e.getKey());
        if (filter.length() > 0) filter.append(" and ");
        filter.append("tags.`").append(e.getKey()).append("` = '").append(e.getValue().replace("'", "\\'")).append("'");
      }
      List<TrackedRun> out = new ArrayList<>();
      RunsPage page = client.searchRuns(List.of(id), filter.toString(), Service.ViewType.ACTIVE_ONLY, 1000,
          List.of("attributes.start_time DESC"));
      while (true) {
        for (Service.Run r : page.getItems()) out.add(toRun(r));
        if (!page.hasNextPage()) break;
        page = (RunsPage) page.getNextPage();
      }
      return out;
    });
  }

  @Override
  public List<MetricPoint> metricHistory(String runId, String key) {
    return call("metric history " + key + " of run " + runId, () -> {
      List<MetricPoint> out = new ArrayList<>();
      for (Service.Metric m : client.getMetricHistory(runId, key)) out.add(new MetricPoint(m.getKey(), m.getValue(), m.getStep(), m.getTimestamp()));
      out.sort(Comparator.comparingLong(MetricPoint::step).thenComparingLong(MetricPoint::timestampMillis));
      return out;
    });
  }

  @Override
  public ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags) {
    return call("register " + source + " as a version of model " + modelName, () -> {
      if (!ensuredModels.contains(modelName)) {
        ObjectNode create = Json.MAPPER.createObjectNode().put("name", modelName);
        try {
          client.sendPost("registered-models/create", create.toString());
        } catch (MlflowHttpException e) {
          // Registered earlier (by another process): expected.
          if (!String.valueOf(e.getBodyMessage()).contains("RESOURCE_ALREADY_EXISTS")) throw e;
        }
        ensuredModels.add(modelName);
      }
      ObjectNode mv = Json.MAPPER.createObjectNode().put("name", modelName).put("source", source);
      if (runId != null) mv.put("run_id", runId);
      ArrayNode t = mv.putArray("tags");
      tags.forEach((k, v) -> t.addObject().put("key", k).put("value", v));
      JsonNode resp = Json.MAPPER.readTree(client.sendPost("model-versions/create", mv.toString()));
      JsonNode v = resp.path("model_version");
      if (v.isMissingNode()) throw new TrackingException("model-versions/create answered without a model_version: " + resp);
      return new ModelRegistration(v.path("name").asText(modelName), v.path("version").asText(), source, runId);
    });
  }

  @Override
  public void close() {
    client.close();
  }

  private String experimentId(String name, boolean create) {
    String known = experimentIds.get(name);
    if (known != null) return known;
    String id = lookUpExperiment(name, create);
    if (id != null) experimentIds.put(name, id);
    return id;
  }

  private String lookUpExperiment(String name, boolean create) {
    return client.getExperimentByName(name).map(Service.Experiment::getExperimentId).orElseGet(() -> {
      if (!create) return null;
      try {
        return client.createExperiment(name);
      } catch (MlflowHttpException e) {
        // Created concurrently by another worker.
        return client.getExperimentByName(name).map(Service.Experiment::getExperimentId).orElseThrow(() -> e);
      }
    });
  }

  private String experimentName(String id) {
    return experimentNames.computeIfAbsent(id, k -> client.getExperiment(k).getName());
  }

  private TrackedRun toRun(Service.Run r) {
    Service.RunInfo info = r.getInfo();
    Map<String, String> params = new TreeMap<>();
    r.getData().getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
    Map<String, String> tags = new TreeMap<>();
    r.getData().getTagsList().forEach(t -> tags.put(t.getKey(), t.getValue()));
    Map<String, Double> metrics = new TreeMap<>();
    r.getData().getMetricsList().forEach(m -> metrics.put(m.getKey(), m.getValue()));
    return new TrackedRun(info.getRunId(), experimentName(info.getExperimentId()),
        info.hasRunName() ? info.getRunName() : tags.get("mlflow.runName"),
        RunStatus.valueOf(info.getStatus().name()),
        info.hasStartTime() ? Instant.ofEpochMilli(info.getStartTime()) : null,
        info.hasEndTime() && info.getEndTime() > 0 ? Instant.ofEpochMilli(info.getEndTime()) : null,
        params, tags, metrics);
  }

  private static Service.RunTag tag(String k, String v) {
    Tracking.checkKey("tag", k);
    return Service.RunTag.newBuilder().setKey(k).setValue(v).build();
  }

  @FunctionalInterface
  private interface MlflowCall<T> {
    T run() throws IOException;
  }

  private <T> T call(String what, MlflowCall<T> c) {
    try {
      return c.run();
    } catch (MlflowHttpException e) {
      throw new TrackingException("MLflow at " + uri + ": " + what + " failed with HTTP " + e.getStatusCode() + ": " + e.getBodyMessage(), e);
    } catch (MlflowClientException | IOException e) {
      throw new TrackingException("MLflow at " + uri + ": " + what + " failed: " + e.getMessage(), e);
    }
  }
}
