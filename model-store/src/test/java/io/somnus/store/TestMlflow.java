package io.somnus.store;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The MLflow server a model-store test talks to: the real one named by {@value #ENV} (or the system property
 * {@value #PROPERTY}), which CI starts ({@code .ci/run}, MLflow 2.17.2), else an in-test {@link FakeMlflowServer}.
 * Each test says which one it ran against on standard output. A configured server that does not answer fails the
 * test: falling back to the fake would pass CI without the real server ever being asked.
 *
 * <p>Names are made unique per test ({@link #unique}), so tests share one real server, also across runs.
 */
final class TestMlflow implements AutoCloseable {
  static final String ENV = "SOMNUS_TEST_MLFLOW_URI";
  static final String PROPERTY = "somnus.test.mlflow.uri";

  private final String uri;
  private final FakeMlflowServer fake;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  private TestMlflow(String uri, FakeMlflowServer fake) {
    this.uri = uri;
    this.fake = fake;
  }

  /** The configured real server, or a new fake; prints which, for {@code test}. */
  static TestMlflow open(String test) {
    String configured = System.getProperty(PROPERTY, System.getenv(ENV));
    if (configured != null && !configured.isBlank()) {
      String version = version(configured.strip());
      System.out.println("[" + test + "] MLflow: real server " + version + " at " + configured.strip() + " (" + ENV + ")");
      return new TestMlflow(configured.strip(), null);
    }
    try {
      FakeMlflowServer f = new FakeMlflowServer();
      System.out.println("[" + test + "] MLflow: in-test FakeMlflowServer (set " + ENV + " to run against a real MLflow server)");
      return new TestMlflow(f.uri(), f);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start FakeMlflowServer: " + e.getMessage(), e);
    }
  }

  String uri() {
    return uri;
  }

  boolean real() {
    return fake == null;
  }

  /** The fake, when this is one: for assertions on the requests the client sent. */
  Optional<FakeMlflowServer> fake() {
    return Optional.ofNullable(fake);
  }

  /** {@code prefix-<8 hex>}: an experiment or model name no other test (or earlier run) uses. */
  String unique(String prefix) {
    return prefix + "-" + run;
  }

  /** A tracking backend for {@code kind}: {@code local} (files under {@code dir}) or {@code mlflow} (this server). */
  Tracking tracking(String kind, Path dir) {
    return switch (kind) {
      case "local" -> new LocalTracking(dir.resolve("tracking"));
      case "mlflow" -> new MlflowTracking(uri);
      default -> throw new IllegalArgumentException("unknown tracking backend " + kind);
    };
  }

  /** GET {@code /api/2.0/mlflow/<endpointAndQuery>} on this server, as raw JSON text (what an MLflow user's tools see). */
  String rest(String endpointAndQuery) {
    return send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + endpointAndQuery)).GET());
  }

  /** POST a JSON body to {@code /api/2.0/mlflow/<endpoint>}, raw JSON text back. */
  String restPost(String endpoint, String json) {
    return send(HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/" + endpoint)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private static String send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + " from " + r.uri() + ": " + r.body());
      return r.body();
    } catch (IOException e) {
      throw new AssertionError("request failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String version(String uri) {
    try {
      HttpRequest health = HttpRequest.newBuilder(URI.create(uri + "/health")).timeout(Duration.ofSeconds(10)).GET().build();
      HttpResponse<String> h = HttpClient.newHttpClient().send(health, HttpResponse.BodyHandlers.ofString());
      if (h.statusCode() != 200) throw new IllegalStateException("HTTP " + h.statusCode());
      HttpRequest v = HttpRequest.newBuilder(URI.create(uri + "/version")).timeout(Duration.ofSeconds(10)).GET().build();
      HttpResponse<String> r = HttpClient.newHttpClient().send(v, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body().strip() : "(version unknown)";
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(ENV + "=" + uri + " names an MLflow server that does not answer (" + e.getMessage()
          + "); start one (../shared/tools/mlflow-server/mlflow-server start DIR PORT) or unset " + ENV + " to use the fake", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (fake != null) fake.close();
  }
}
