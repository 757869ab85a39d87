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
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-memory server for the MLflow REST API 2.0 endpoints Somnus uses. It follows what MLflow 2.17.2's own server
 * answers (checked against it, see {@code TestMlflow}), not only the documented shapes, where the two differ:
 * filter literals are taken verbatim (no un-escaping) and LIKE is case-sensitive; a batch changing a logged param is
 * refused whole; identical metric points are stored once; POST/DELETE need {@code Content-Type: application/json};
 * metrics/get-history of an unknown run is empty; an omitted start_time is 0; model version numbers never repeat; a
 * deleted version's alias is left in place. It records every request so tests can assert what the client sent.
 */
final class FakeMlflowServer implements AutoCloseable {
  record Request(String method, String endpoint, Map<String, String> query, JsonNode body) {}

  private static final ObjectMapper M = new ObjectMapper();
  private static final String LITERAL = "'(?:''|\\\\\\\\|\\\\'|[^'])*'|\"(?:\"\"|\\\\\\\\|\\\\\"|[^\"])*\"";
  private static final Pattern CLAUSE = Pattern.compile("\\s*(?:(tags?)\\.(?:`([^`]+)`|\"([^\"]+)\"|([A-Za-z0-9_.\\-]+))|(name))"
      + "\\s*(=|!=|LIKE|ILIKE)\\s*(" + LITERAL + ")\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern AND = Pattern.compile("\\s*and\\s+", Pattern.CASE_INSENSITIVE);

  final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final HttpServer http;
  private final Map<String, String> experiments = new LinkedHashMap<>(); // id -> name
  private final Map<String, ObjectNode> runInfos = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> params = new TreeMap<>();
  private final Map<String, Map<String, String>> tags = new TreeMap<>();
  private final Map<String, Set<JsonNode>> metrics = new TreeMap<>();
  private final Map<String, ObjectNode> models = new TreeMap<>();
  private final Map<String, java.util.NavigableMap<Long, ObjectNode>> versions = new TreeMap<>();
  private final Map<String, Long> lastVersion = new TreeMap<>();
  private final Map<String, Map<String, String>> aliases = new TreeMap<>();
  private int nextExperiment = 1;
  private int nextRun = 1;
  private long clock = 1_700_000_000_000L;

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
    String method = ex.getRequestMethod();
    try {
      JsonNode body;
      try {
        body = raw.length == 0 ? M.createObjectNode() : M.readTree(raw);
      } catch (IOException e) {
        throw new ApiError(400, "MALFORMED_REQUEST", "Request body is not JSON");
      }
      requests.add(new Request(method, endpoint, query, body));
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      if (!method.equals("GET") && (type == null || !type.startsWith("application/json"))) {
        throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Bad Request. Content-Type must be one of ['application/json'].");
      }
      send(ex, 200, route(method, endpoint, query, body));
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
        if (!experiments.containsKey(id)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=" + id + " exists");
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
        if (!experiments.containsKey(exp)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=" + exp + " exists");
        String id = String.format("%032x", nextRun++);
        String name = b.path("run_name").asText("");
        ObjectNode info = M.createObjectNode().put("run_uuid", id).put("experiment_id", exp).put("run_name", name)
            .put("user_id", "").put("status", "RUNNING").put("start_time", b.path("start_time").asLong(0))
            .put("artifact_uri", "mlflow-artifacts:/" + exp + "/" + id + "/artifacts").put("lifecycle_stage", "active").put("run_id", id);
        runInfos.put(id, info);
        params.put(id, new TreeMap<>());
        tags.put(id, new TreeMap<>());
        metrics.put(id, new LinkedHashSet<>());
        for (JsonNode t : b.path("tags")) tags.get(id).put(t.path("key").asText(), t.path("value").asText());
        if (!name.isEmpty()) tags.get(id).put("mlflow.runName", name);
        out.set("run", run(id));
      }
      case "POST runs/log-batch" -> {
        String id = runId(b);
        if (b.path("metrics").size() > 1000 || b.path("params").size() > 100 || b.path("tags").size() > 100) {
          throw new ApiError(400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 metrics, 100 params and 100 tags");
        }
        // The whole batch is checked before anything is stored: a refused batch leaves the run as it was.
        Map<String, String> batch = new LinkedHashMap<>();
        for (JsonNode p : b.path("params")) {
          if (batch.put(p.path("key").asText(), p.path("value").asText()) != null) {
            throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Duplicate parameter keys have been submitted: ['" + p.path("key").asText() + "'].");
          }
        }
        List<String> changed = new ArrayList<>();
        batch.forEach((k, v) -> {
          String old = params.get(id).get(k);
          if (old != null && !old.equals(v)) changed.add("{'key': '" + k + "', 'old_value': '" + old + "', 'new_value': '" + v + "'}");
        });
        if (!changed.isEmpty()) {
          throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed. Params were already logged='"
              + changed + "' for run ID='" + id + "'.");
        }
        params.get(id).putAll(batch);
        for (JsonNode t : b.path("tags")) tags.get(id).put(t.path("key").asText(), t.path("value").asText());
        for (JsonNode m : b.path("metrics")) {
          ObjectNode point = M.createObjectNode().put("key", m.path("key").asText());
          point.set("value", m.path("value"));
          metrics.get(id).add(point.put("timestamp", m.path("timestamp").asLong()).put("step", m.path("step").asLong(0)));
        }
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
        String id = q.get("run_id");
        if (!runInfos.containsKey(id)) break; // MLflow answers an unknown run with no metrics, not 404
        List<JsonNode> points = metrics.get(id).stream().filter(m -> m.path("key").asText().equals(q.get("metric_key"))).toList();
        if (!points.isEmpty()) points.forEach(out.putArray("metrics")::add);
      }
      case "POST runs/search" -> {
        List<String> exps = new ArrayList<>();
        b.path("experiment_ids").forEach(e -> exps.add(e.asText()));
        Predicate<Map<String, String>> filter = parseFilter(b.path("filter").asText(""), false);
        List<String> ids = new ArrayList<>();
        for (Map.Entry<String, ObjectNode> e : runInfos.entrySet()) {
          if (exps.contains(e.getValue().path("experiment_id").asText()) && filter.test(tags.get(e.getKey()))) ids.add(e.getKey());
        }
        boolean ascending = b.path("order_by").toString().contains("start_time ASC"); // MLflow's default: newest first
        ids.sort((x, y) -> (ascending ? 1 : -1) * Long.compare(runInfos.get(x).path("start_time").asLong(), runInfos.get(y).path("start_time").asLong()));
        page(out, "runs", ids.stream().map(this::run).toList(), b.path("max_results").asInt(1000), b.path("page_token").asText(""));
      }
      case "POST registered-models/create" -> {
        String name = b.path("name").asText();
        if (models.containsKey(name)) throw new ApiError(400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=" + name + ") already exists.");
        ObjectNode m = M.createObjectNode().put("name", name).put("creation_timestamp", ++clock).put("last_updated_timestamp", clock);
        if (b.hasNonNull("description")) m.put("description", b.path("description").asText());
        models.put(name, m);
        versions.put(name, new TreeMap<>());
        aliases.put(name, new TreeMap<>());
        lastVersion.put(name, 0L);
        m.set("tags", M.createArrayNode());
        for (JsonNode t : b.path("tags")) ((ArrayNode) m.path("tags")).add(t.deepCopy());
        out.set("registered_model", registeredModel(name));
      }
      case "GET registered-models/get" -> out.set("registered_model", registeredModel(model(q.get("name"))));
      case "POST registered-models/set-tag" -> {
        ArrayNode ts = (ArrayNode) models.get(model(b.path("name").asText())).path("tags");
        for (int i = ts.size() - 1; i >= 0; i--) if (ts.get(i).path("key").asText().equals(b.path("key").asText())) ts.remove(i);
        ts.addObject().put("key", b.path("key").asText()).put("value", b.path("value").asText());
      }
      case "POST registered-models/alias" -> {
        String name = model(b.path("name").asText());
        String alias = b.path("alias").asText();
        if (alias.equalsIgnoreCase("latest")) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "'latest' alias name (case insensitive) is reserved.");
        if (alias.matches("[vV]\\d+")) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Version alias name '" + alias + "' is reserved.");
        version(name, b.path("version").asText());
        aliases.get(name).put(alias, b.path("version").asText());
      }
      case "DELETE registered-models/alias" -> aliases.get(model(b.path("name").asText())).remove(b.path("alias").asText());
      case "GET registered-models/alias" -> {
        String name = model(q.get("name"));
        String v = aliases.get(name).get(q.get("alias"));
        if (v == null) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered model alias " + q.get("alias") + " not found.");
        out.set("model_version", modelVersion(name, version(name, v), true));
      }
      case "POST model-versions/create" -> {
        String name = b.path("name").asText();
        if (!models.containsKey(name)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=" + name + " not found");
        String source = b.path("source").asText();
        if (!source.matches("[a-z0-9]+://[^/]+/.+|/.+")) {
          throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid model version source: '" + source + "'. If supplying a source as an "
              + "http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without "
              + "relative path references present. Please provide an absolute path.");
        }
        long n = lastVersion.merge(name, 1L, Long::sum);
        ObjectNode v = M.createObjectNode().put("name", name).put("version", Long.toString(n)).put("creation_timestamp", ++clock)
            .put("last_updated_timestamp", clock).put("current_stage", "None").put("description", b.path("description").asText(""))
            .put("source", source).put("run_id", b.path("run_id").asText("")).put("status", "READY");
        if (b.path("tags").size() > 0) v.set("tags", b.path("tags").deepCopy());
        v.put("run_link", "");
        versions.get(name).put(n, v);
        out.set("model_version", v);
      }
      case "GET model-versions/get" -> {
        String name = model(q.get("name"));
        out.set("model_version", modelVersion(name, version(name, q.get("version")), true));
      }
      case "DELETE model-versions/delete" -> {
        String name = model(b.path("name").asText());
        versions.get(name).remove(Long.parseLong(version(name, b.path("version").asText()).path("version").asText()));
      }
      case "GET model-versions/search" -> {
        Predicate<Map<String, String>> filter = parseFilter(q.getOrDefault("filter", ""), true);
        List<JsonNode> found = new ArrayList<>();
        versions.forEach((name, vs) -> vs.descendingMap().values().forEach(v -> {
          Map<String, String> fields = new TreeMap<>();
          v.path("tags").forEach(t -> fields.put("tags." + t.path("key").asText(), t.path("value").asText()));
          fields.put("name", name);
          if (filter.test(fields)) found.add(modelVersion(name, v, false)); // search results carry no aliases
        }));
        page(out, "model_versions", found, Integer.parseInt(q.getOrDefault("max_results", "10000")), q.getOrDefault("page_token", ""));
      }
      default -> throw new ApiError(404, "ENDPOINT_NOT_FOUND", "No endpoint " + method + " " + endpoint);
    }
    return out;
  }

  /**
   * MLflow's filter grammar as far as Somnus uses it: clauses joined by {@code and}, each {@code tags.<key>} (or
   * {@code name}) compared with {@code =}, {@code !=}, {@code LIKE} or {@code ILIKE} to a quoted literal that is taken
   * verbatim between its quotes (MLflow strips the quotes and un-escapes nothing).
   *
   * @param fieldsByName true: the map holds {@code name} and {@code tags.<key>}; false: it holds tag keys only
   */
  private static Predicate<Map<String, String>> parseFilter(String filter, boolean fieldsByName) {
    List<Predicate<Map<String, String>>> clauses = new ArrayList<>();
    Matcher m = CLAUSE.matcher(filter);
    Matcher and = AND.matcher(filter);
    int at = 0;
    while (at < filter.length() && !filter.isBlank()) {
      if (!m.region(at, filter.length()).lookingAt()) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid clause(s) in filter string: '" + filter.substring(at) + "'");
      String tagKey = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
      if (m.group(5) == null && !fieldsByName && tagKey == null) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid filter '" + filter + "'");
      String field = m.group(5) != null ? "name" : fieldsByName ? "tags." + tagKey : tagKey;
      String op = m.group(6).toUpperCase();
      String literal = m.group(7);
      String value = literal.substring(1, literal.length() - 1);
      Predicate<String> test = switch (op) {
        case "=" -> value::equals;
        case "!=" -> v -> !value.equals(v);
        case "LIKE" -> likePattern(value, false).asMatchPredicate();
        default -> likePattern(value, true).asMatchPredicate();
      };
      clauses.add(fields -> fields.get(field) != null && test.test(fields.get(field)));
      at = m.end();
      if (at < filter.length()) {
        if (!and.region(at, filter.length()).lookingAt()) throw new ApiError(400, "INVALID_PARAMETER_VALUE", "Invalid clause(s) in filter string: '" + filter.substring(at) + "'");
        at = and.end();
      }
    }
    return fields -> clauses.stream().allMatch(c -> c.test(fields));
  }

  /** SQL LIKE: {@code %} any run, {@code _} any one character; case-sensitive as MLflow's store makes it. */
  private static Pattern likePattern(String like, boolean ignoreCase) {
    StringBuilder re = new StringBuilder();
    for (char c : like.toCharArray()) {
      if (c == '%') re.append(".*");
      else if (c == '_') re.append('.');
      else re.append(Pattern.quote(String.valueOf(c)));
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0));
  }

  private static void page(ObjectNode out, String field, List<? extends JsonNode> all, int max, String token) {
    int offset = 0;
    if (!token.isEmpty()) offset = Integer.parseInt(new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8).replaceAll("\\D", ""));
    List<? extends JsonNode> page = all.subList(Math.min(offset, all.size()), Math.min(all.size(), offset + max));
    if (!page.isEmpty()) page.forEach(out.putArray(field)::add); // MLflow omits empty repeated fields
    if (offset + max < all.size()) {
      out.put("next_page_token", Base64.getEncoder().encodeToString(("{\"offset\": " + (offset + max) + "}").getBytes(StandardCharsets.UTF_8)));
    }
  }

  private String runId(JsonNode b) {
    return runId(b.path("run_id").asText(b.path("run_uuid").asText()));
  }

  private String runId(String id) {
    if (id == null || !runInfos.containsKey(id)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=" + id + " not found");
    return id;
  }

  private String model(String name) {
    if (name == null || !models.containsKey(name)) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=" + name + " not found");
    return name;
  }

  private ObjectNode version(String name, String version) {
    ObjectNode v = version == null || !version.matches("\\d+") ? null : versions.get(name).get(Long.parseLong(version));
    if (v == null) throw new ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=" + name + ", version=" + version + ") not found");
    return v;
  }

  private ObjectNode modelVersion(String name, ObjectNode v, boolean withAliases) {
    ObjectNode out = v.deepCopy();
    if (withAliases) {
      List<String> as = aliases.get(name).entrySet().stream().filter(e -> e.getValue().equals(v.path("version").asText())).map(Map.Entry::getKey).toList();
      if (!as.isEmpty()) as.forEach(out.putArray("aliases")::add);
    }
    return out;
  }

  private ObjectNode registeredModel(String name) {
    ObjectNode m = models.get(name).deepCopy();
    if (m.path("tags").isEmpty()) m.remove("tags");
    java.util.NavigableMap<Long, ObjectNode> vs = versions.get(name);
    if (!vs.isEmpty()) m.putArray("latest_versions").add(vs.get(Collections.max(vs.keySet())).deepCopy());
    if (!aliases.get(name).isEmpty()) {
      ArrayNode as = m.putArray("aliases");
      aliases.get(name).forEach((a, v) -> as.addObject().put("alias", a).put("version", v));
    }
    return m;
  }

  private ObjectNode experiment(String id) {
    return M.createObjectNode().put("experiment_id", id).put("name", experiments.get(id))
        .put("artifact_location", "mlflow-artifacts:/" + id).put("lifecycle_stage", "active");
  }

  private ObjectNode run(String id) {
    ObjectNode r = M.createObjectNode();
    r.set("info", runInfos.get(id).deepCopy());
    ObjectNode data = r.putObject("data");
    Map<String, JsonNode> latest = new TreeMap<>();
    for (JsonNode m : metrics.get(id)) {
      latest.merge(m.path("key").asText(), m, (a, c) -> c.path("step").asLong() > a.path("step").asLong()
          || c.path("step").asLong() == a.path("step").asLong() && c.path("timestamp").asLong() >= a.path("timestamp").asLong() ? c : a);
    }
    if (!latest.isEmpty()) latest.values().forEach(data.putArray("metrics")::add);
    if (!params.get(id).isEmpty()) {
      ArrayNode ps = data.putArray("params");
      params.get(id).forEach((k, v) -> ps.addObject().put("key", k).put("value", v));
    }
    if (!tags.get(id).isEmpty()) {
      ArrayNode ts = data.putArray("tags");
      tags.get(id).forEach((k, v) -> ts.addObject().put("key", k).put("value", v));
    }
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
