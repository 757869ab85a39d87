package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The behaviours where MLflow's server differs from what its documentation suggests, asked in raw REST of the fake
 * and, when one is configured ({@link TestMlflow}), of the real server: both must answer as observed on MLflow
 * 2.17.2. This is what keeps the fake honest; in CI the real server checks the expectations themselves.
 */
class FakeMlflowFidelityTest {
  static final List<String> EXPECTED = List.of(
      "single-quoted \\' is not an escape: 0 runs",
      "double quotes around an apostrophe: 1 runs",
      "changed param in a batch: HTTP 400 INVALID_PARAMETER_VALUE, params after [a=1]",
      "identical metric point twice: 1 points",
      "POST without Content-Type: HTTP 400",
      "LIKE is case-sensitive: 0 runs, exact case 1 runs",
      "get-history of an unknown run: HTTP 200 {}",
      "start_time omitted: 0",
      "version after deleting the highest: 3",
      "alias of a deleted version: kept");

  @Test
  void theFakeAnswersAsTheRealServerDoes() throws Exception {
    try (FakeMlflowServer fake = new FakeMlflowServer()) {
      assertEquals(EXPECTED, observe(fake.uri()), "the fake");
    }
    String real = System.getProperty(TestMlflow.PROPERTY, System.getenv(TestMlflow.ENV));
    if (real != null && !real.isBlank()) {
      try (TestMlflow server = TestMlflow.open("FakeMlflowFidelityTest")) {
        assertEquals(EXPECTED, observe(server.uri()), "the real server at " + server.uri());
      }
    } else {
      System.out.println("[FakeMlflowFidelityTest] MLflow: fake only (set " + TestMlflow.ENV + " to check it against a real server)");
    }
  }

  private List<String> observe(String uri) throws Exception {
    Raw api = new Raw(uri);
    String tag = UUID.randomUUID().toString().substring(0, 8);
    List<String> seen = new ArrayList<>();
    String exp = api.post("experiments/create", "{\"name\": \"fidelity-" + tag + "\"}").body.path("experiment_id").asText();
    String run = api.post("runs/create", "{\"experiment_id\": \"" + exp + "\", \"start_time\": 5, \"tags\": [{\"key\": \"k\", \"value\": \"it's\"}, {\"key\": \"e\", \"value\": \"ends\\\\\"}]}")
        .body.path("run").path("info").path("run_id").asText();
    seen.add("single-quoted \\' is not an escape: " + runs(api, exp, "tags.k = 'it\\'s'") + " runs");
    seen.add("double quotes around an apostrophe: " + runs(api, exp, "tags.k = \"it's\"") + " runs");

    api.post("runs/log-batch", "{\"run_id\": \"" + run + "\", \"params\": [{\"key\": \"a\", \"value\": \"1\"}]}");
    Answer changed = api.post("runs/log-batch", "{\"run_id\": \"" + run + "\", \"params\": [{\"key\": \"a\", \"value\": \"2\"}, {\"key\": \"c\", \"value\": \"y\"}]}");
    List<String> params = new ArrayList<>();
    api.get("runs/get?run_id=" + run).body.path("run").path("data").path("params").forEach(p -> params.add(p.path("key").asText() + "=" + p.path("value").asText()));
    seen.add("changed param in a batch: HTTP " + changed.status + " " + changed.body.path("error_code").asText() + ", params after " + params);

    String point = "{\"run_id\": \"" + run + "\", \"metrics\": [{\"key\": \"m\", \"value\": 1.5, \"step\": 3, \"timestamp\": 1000}]}";
    api.post("runs/log-batch", point);
    api.post("runs/log-batch", point);
    seen.add("identical metric point twice: " + api.get("metrics/get-history?run_id=" + run + "&metric_key=m").body.path("metrics").size() + " points");

    HttpResponse<String> bare = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/runs/set-tag"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"run_id\": \"" + run + "\", \"key\": \"x\", \"value\": \"y\"}")).build(), HttpResponse.BodyHandlers.ofString());
    seen.add("POST without Content-Type: HTTP " + bare.statusCode());

    seen.add("LIKE is case-sensitive: " + runs(api, exp, "tags.e LIKE 'ENDS_'") + " runs, exact case " + runs(api, exp, "tags.e LIKE 'ends_'") + " runs");
    Answer unknown = api.get("metrics/get-history?run_id=" + "0".repeat(32) + "&metric_key=m");
    seen.add("get-history of an unknown run: HTTP " + unknown.status + " " + unknown.body);
    String bareRun = api.post("runs/create", "{\"experiment_id\": \"" + exp + "\"}").body.path("run").path("info").path("run_id").asText();
    seen.add("start_time omitted: " + api.get("runs/get?run_id=" + bareRun).body.path("run").path("info").path("start_time").asLong(-1));

    String model = "fidelity-" + tag;
    api.post("registered-models/create", "{\"name\": \"" + model + "\"}");
    api.post("model-versions/create", "{\"name\": \"" + model + "\", \"source\": \"s3://b/k1.json\"}");
    api.post("model-versions/create", "{\"name\": \"" + model + "\", \"source\": \"s3://b/k2.json\"}");
    api.post("registered-models/alias", "{\"name\": \"" + model + "\", \"alias\": \"live\", \"version\": \"2\"}");
    api.delete("model-versions/delete", "{\"name\": \"" + model + "\", \"version\": \"2\"}");
    seen.add("version after deleting the highest: " + api.post("model-versions/create", "{\"name\": \"" + model + "\", \"source\": \"s3://b/k3.json\"}")
        .body.path("model_version").path("version").asText());
    JsonNode aliases = api.get("registered-models/get?name=" + model).body.path("registered_model").path("aliases");
    seen.add("alias of a deleted version: " + (aliases.toString().contains("\"live\"") ? "kept" : "removed"));
    return seen;
  }

  private static int runs(Raw api, String exp, String filter) throws Exception {
    String body = Json.MAPPER.createObjectNode().put("filter", filter).set("experiment_ids", Json.MAPPER.createArrayNode().add(exp)).toString();
    Answer a = api.post("runs/search", body);
    if (a.status != 200) throw new AssertionError("runs/search " + filter + ": HTTP " + a.status + " " + a.body);
    return a.body.path("runs").size();
  }

  record Answer(int status, JsonNode body) {}

  record Raw(String uri) {
    Answer get(String endpointAndQuery) throws Exception {
      return send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + endpointAndQuery)).GET());
    }

    Answer post(String endpoint, String json) throws Exception {
      return send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + endpoint)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Answer delete(String endpoint, String json) throws Exception {
      return send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + endpoint)).header("Content-Type", "application/json")
          .method("DELETE", HttpRequest.BodyPublishers.ofString(json)));
    }

    private static Answer send(HttpRequest.Builder b) throws IOException, InterruptedException {
      HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Answer(r.statusCode(), Json.MAPPER.readTree(r.body().isEmpty() ? "{}" : r.body()));
    }
  }
}
