package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MLflow REST API 2.0 over the JDK's HTTP client: JSON in and out, transient failures retried, every other answer
 * turned into an {@link MlflowApiException} at once.
 *
 * <p>Why not {@code org.mlflow:mlflow-client}: its HTTP layer (2.17.2) retries every 4xx three times and logs each as
 * "Rate limit exceeded", so an expected 404 costs three requests and a refused param change reads as throttling; its
 * caller is package-private, so neither can be configured; and it wraps no registry write or alias endpoint.
 */
final class MlflowRestClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowRestClient.class);
  /** The statuses MLflow's own Python client treats as transient ({@code _TRANSIENT_FAILURE_RESPONSE_CODES}). */
  static final Set<Integer> TRANSIENT = Set.of(408, 429, 500, 502, 503, 504);

  private final String server;
  private final URI base;
  private final HttpClient http;
  private final RetryPolicy retry;
  private final Duration requestTimeout;

  MlflowRestClient(String trackingUri, RetryPolicy retry, Duration requestTimeout) {
    String u = trackingUri.endsWith("/") ? trackingUri.substring(0, trackingUri.length() - 1) : trackingUri;
    this.server = u;
    try {
      this.base = URI.create(u + "/api/2.0/mlflow/");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("MLflow tracking URI '" + trackingUri + "' is not a valid URI: " + e.getMessage(), e);
    }
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("MLflow tracking URI '" + trackingUri + "' must be http:// or https://");
    }
    this.retry = retry;
    this.requestTimeout = requestTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** The server as configured, e.g. {@code http://127.0.0.1:5000}. */
  String describe() {
    return server;
  }

  JsonNode get(String endpoint, Map<String, String> query) {
    StringJoiner q = new StringJoiner("&");
    query.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
    URI uri = base.resolve(endpoint + (query.isEmpty() ? "" : "?" + q));
    return send("GET", endpoint, HttpRequest.newBuilder(uri).GET());
  }

  JsonNode post(String endpoint, JsonNode body) {
    return send("POST", endpoint, withJson(HttpRequest.newBuilder(base.resolve(endpoint)), "POST", body));
  }

  JsonNode delete(String endpoint, JsonNode body) {
    return send("DELETE", endpoint, withJson(HttpRequest.newBuilder(base.resolve(endpoint)), "DELETE", body));
  }

  private static HttpRequest.Builder withJson(HttpRequest.Builder b, String method, JsonNode body) {
    // MLflow refuses a body without this content type (400 "Content-Type must be one of ['application/json']").
    return b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(Json.writeCompact(body)));
  }

  private JsonNode send(String method, String endpoint, HttpRequest.Builder builder) {
    HttpRequest request = builder.timeout(requestTimeout).build();
    String what = method + " " + endpoint;
    for (int attempt = 1; ; attempt++) {
      String transientProblem;
      IOException ioCause = null;
      try {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        int status = r.statusCode();
        if (status / 100 == 2) return r.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
        MlflowApiException e = MlflowApiException.of(describe(), what, status, r.body());
        if (!TRANSIENT.contains(status)) throw e;
        transientProblem = "HTTP " + status + " " + e.errorCode();
        if (attempt >= retry.maxAttempts()) throw e;
      } catch (IOException e) {
        ioCause = e;
        transientProblem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (attempt >= retry.maxAttempts()) {
          throw new TrackingException("MLflow at " + describe() + ": " + what + " failed after " + attempt + " attempts: " + transientProblem, ioCause);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("MLflow at " + describe() + ": " + what + " interrupted", e);
      }
      Duration wait = retry.delayBefore(attempt + 1);
      LOG.warn("MLflow at {}: {}: {} (transient); retrying in {} ms (attempt {} of {})", describe(), what,
          transientProblem, wait.toMillis(), attempt + 1, retry.maxAttempts());
      sleep(wait);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("interrupted while waiting to retry an MLflow request", e);
    }
  }

  /** Nothing to release: the JDK client's connections close when idle (its own close() needs Java 21). */
  @Override
  public void close() {}
}
