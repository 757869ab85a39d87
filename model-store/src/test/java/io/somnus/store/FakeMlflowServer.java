package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory server for the MLflow REST API 2.0 endpoints Somnus uses, with request and response
 * shapes as documented at mlflow.org/docs/latest/rest-api.html (MLflow 2.x). It records every
 * request so tests can assert what the client actually sent.
 */
final class FakeMlflowServer implements AutoCloseable {
  record Request(String method, String endpoint, Map<String, String> query, JsonNode body) {}

  private static final ObjectMapper M = new ObjectMapper();
  private static final Pattern TAG_CLAUSE = Pattern.compile("tags\\.(?:`([^`]+)`|([A-Za-z0-9_.\\-]+))\\s*=\\s*'((?:[^'\\\\]|\\\\.)*)'");

  final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final HttpServer http;
  private final Map<String, String> experiments = new LinkedHashMap<>(); // id -> name
  private final Map<String, ObjectNode> runInfos = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> params = new TreeMap<>();
  private final Map<String, Map<String, String>> tags = new TreeMap<>();
  private final Map<String, List<ObjectNode>> metrics = new TreeMap<>();
  private final Map<String, Integer> modelVersions = new TreeMap<>();
  private int nextExperiment = 1;
  private int nextRun = 1;

  FakeMlflowServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/api/2.0/mlflow/", this::handle);
    http.start();
  }

  String uri() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  List<Request> requests(String endpoint) {
    synchronized (requests) {
      return requests.stream().filter(r -> r.endpoint().equals(endpoint)).toList();
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    String endpoint = ex.getRequestURI().getPath().substring("/api/2.0/mlflow/".length());
    Map<String, String> query = parseQuery(ex.getRequestURI().getRawQuery());
    byte[] raw = ex.getRequestBody().readAllBytes();
    JsonNode body = raw.length == 0 ? M.createObjectNode() : M.readTree(raw);
    requests.add(new Request(ex.getRequestMethod(), endpoint, query, body));
    try {
      JsonNode answer = route(ex.getRequestMethod(), endpoint, query, body);
      send(ex, 200, answer);
    } catch (ApiError e) {
      send(ex, e.status, M.createObjectNode().put("error_code", e.code).put("message", e.getMessage()));
    }
  }

  private JsonNode route(String method, String endpoint, Map<String, String> q, JsonNode b) {
    ObjectNode out = M.createObjectNode();
    switch (method + " " + endpoint) {
      case "GET experiments/get-by-name" -> {
        String name = q.get("experiment_name");
        String id = experiments.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey).findFirst()
            .orElseThrow(() -> new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '" + name + "'"));
        out.set("experiment", experiment(id));
      }
      case "GET experiments/get" -> {
        String id = q.get("experiment_id");
        if (!experiments.containsKey(id)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "No experiment " + id);
        out.set("experiment", experiment(id));
      }
      case "POST experiments/create" -> {
        String name = b.path("name").asText();
        if (experiments.containsValue(name)) throw new ApiError(400, "RESOURCE_ALREADY_EXISTS", "Experiment '" + name + "' already exists.");
        String id = Integer.toString(nextExperiment++);
        experiments.put(id, name);
        out.put("experiment_id", id);
      }
      case "POST runs/create" -> {
        String exp = b.path("experiment_id").asText();
        if (!experiments.containsKey(exp)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "No experiment " + exp);
        String id = String.format("%032x", nextRun++);
        ObjectNode info = M.createObjectNode().put("run_id", id).put("run_uuid", id).put("experiment_id", exp)
            .put("run_name", b.path("run_name").asText("")).put("status", "RUNNING")
            .put("start_time", b.path("start_time").asLong()).put("lifecycle_stage", "active")
            .put("artifact_uri", "mlflow-artifacts:/" + exp + "/" + id + "/artifacts");
        runInfos.put(id, info);
        params.put(id, new TreeMap<>());
        tags.put(id, new TreeMap<>());
        metrics.put(id, new ArrayList<>());
        for (JsonNode t : b.path("tags")) tags.get(id).put(t.path("key").asText(), t.path("value").asText());
        out.set("run", run(id));
      }
      case "POST runs/log-batch" -> {
        String id = runId(b);
        if (b.path("metrics").size() > 1000 || b.path("params").size() > 100 || b.path("tags").size() > 100) {
          throw new ApiError(400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 metrics, 100 params and 100 tags");
        }
        for (JsonNode p : b.path("params")) {
          String old = params.get(id).putIfAbsent(p.path("key").asText(), p.path("value").asText());
          if (old != null && !old.equals(p.path("value").asText())) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed");
        }
        for (JsonNode t : b.path("tags")) tags.get(id).put(t.path("key").asText(), t.path("value").asText());
        for (JsonNode m : b.path("metrics")) metrics.get(id).add((ObjectNode) m.deepCopy());
      }
      case "POST runs/set-tag" -> tags.get(runId(b)).put(b.path("key").asText(), b.path("value").asText());
      case "POST runs/update" -> {
        ObjectNode info = runInfos.get(runId(b));
        if (b.has("status")) info.put("status", b.path("status").asText());
        if (b.has("end_time")) info.put("end_time", b.path("end_time").asLong());
        out.set("run_info", info);
      }
      case "GET runs/get" -> out.set("run", run(runId(q.get("run_id"))));
      case "GET metrics/get-history" -> {
        String id = runId(q.get("run_id"));
        ArrayNode arr = out.putArray("metrics");
        metrics.get(id).stream().filter(m -> m.path("key").asText().equals(q.get("metric_key"))).forEach(arr::add);
      }
      case "POST runs/search" -> {
        List<String> exps = new ArrayList<>();
        b.path("experiment_ids").forEach(e -> exps.add(e.asText()));
        Map<String, String> wanted = parseFilter(b.path("filter").asText(""));
        List<String> ids = new ArrayList<>();
        for (Map.Entry<String, ObjectNode> e : runInfos.entrySet()) {
          if (!exps.contains(e.getValue().path("experiment_id").asText())) continue;
          Map<String, String> t = tags.get(e.getKey());
          if (wanted.entrySet().stream().allMatch(w -> w.getValue().equals(t.get(w.getKey())))) ids.add(e.getKey());
        }
        ids.sort((x, y) -> Long.compare(runInfos.get(y).path("start_time").asLong(), runInfos.get(x).path("start_time").asLong()));
        if (!ids.isEmpty()) { // MLflow omits empty repeated fields
          ArrayNode arr = out.putArray("runs");
          ids.forEach(id -> arr.add(run(id)));
        }
      }
      case "POST registered-models/create" -> {
        String name = b.path("name").asText();
        if (modelVersions.containsKey(name)) throw new ApiError(400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=" + name + ") already exists.");
        modelVersions.put(name, 0);
        out.putObject("registered_model").put("name", name);
      }
      case "POST model-versions/create" -> {
        String name = b.path("name").asText();
        if (!modelVersions.containsKey(name)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=" + name + " not found");
        int v = modelVersions.merge(name, 1, Integer::sum);
        out.putObject("model_version").put("name", name).put("version", Integer.toString(v))
            .put("source", b.path("source").asText()).put("run_id", b.path("run_id").asText()).put("status", "READY");
      }
      default -> throw new ApiError(404, "ENDPOINT_NOT_FOUND", "No endpoint " + method + " " + endpoint);
    }
    return out;
  }

  private static Map<String, String> parseFilter(String filter) {
    Map<String, String> out = new TreeMap<>();
    if (filter.isBlank()) return out;
    for (String clause : filter.split("(?i)\\s+and\\s+")) {
      Matcher m = TAG_CLAUSE.matcher(clause.strip());
      if (!m.matches()) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid filter clause '" + clause + "'");
      out.put(m.group(1) != null ? m.group(1) : m.group(2), m.group(3).replace("\\'", "'"));
    }
    return out;
  }

  private String runId(JsonNode b) {
    return runId(b.path("run_id").asText(b.path("run_uuid").asText()));
  }

  private String runId(String id) {
    if (id == null || !runInfos.containsKey(id)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Run '" + id + "' not found");
    return id;
  }

  private ObjectNode experiment(String id) {
    return M.createObjectNode().put("experiment_id", id).put("name", experiments.get(id))
        .put("artifact_location", "mlflow-artifacts:/" + id).put("lifecycle_stage", "active");
  }

  private ObjectNode run(String id) {
    ObjectNode r = M.createObjectNode();
    r.set("info", runInfos.get(id).deepCopy());
    ObjectNode data = r.putObject("data");
    Map<String, ObjectNode> latest = new TreeMap<>();
    for (ObjectNode m : metrics.get(id)) {
      latest.merge(m.path("key").asText(), m, (a, c) -> c.path("step").asLong() > a.path("step").asLong()
          || c.path("step").asLong() == a.path("step").asLong() && c.path("timestamp").asLong() >= a.path("timestamp").asLong() ? c : a);
    }
    ArrayNode ms = data.putArray("metrics");
    latest.values().forEach(ms::add);
    ArrayNode ps = data.putArray("params");
    params.get(id).forEach((k, v) -> ps.addObject().put("key", k).put("value", v));
    ArrayNode ts = data.putArray("tags");
    tags.get(id).forEach((k, v) -> ts.addObject().put("key", k).put("value", v));
    return r;
  }

  private static Map<String, String> parseQuery(String raw) {
    Map<String, String> q = new TreeMap<>();
    if (raw == null) return q;
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i < 0) continue;
      q.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
    }
    return q;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = M.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static final class ApiError extends RuntimeException {
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }
}
