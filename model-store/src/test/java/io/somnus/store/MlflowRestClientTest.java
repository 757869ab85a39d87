package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which answers the client retries: transient ones (connection, 408/429/5xx) only; a 4xx is an answer. */
class MlflowRestClientTest {
  private HttpServer http;
  private final List<Integer> script = Collections.synchronizedList(new ArrayList<>());
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/", ex -> {
      seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Content-Type"));
      int status = script.isEmpty() ? 200 : script.remove(0);
      byte[] body = (status == 200 ? "{\"ok\": true}"
          : status == 502 ? "<html>bad gateway</html>"
          : "{\"error_code\": \"" + (status == 404 ? "RESOURCE_DOES_NOT_EXIST" : "INVALID_PARAMETER_VALUE") + "\", \"message\": \"m" + status + "\"}")
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    http.start();
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  private MlflowRestClient client() {
    return new MlflowRestClient("http://127.0.0.1:" + http.getAddress().getPort(), new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5)),
        Duration.ofSeconds(10));
  }

  @Test
  void aNotFoundIsOneRequestAndSaysWhat() {
    script.add(404);
    MlflowApiException e = assertThrows(MlflowApiException.class, () -> client().get("experiments/get-by-name", Map.of("experiment_name", "x")));
    assertEquals(1, seen.size(), "a 404 is an answer, not a reason to ask again");
    assertEquals(404, e.status());
    assertEquals("RESOURCE_DOES_NOT_EXIST", e.errorCode());
    assertTrue(e.getMessage().contains("GET experiments/get-by-name failed with HTTP 404 RESOURCE_DOES_NOT_EXIST: m404"), e.getMessage());
    assertTrue(!e.getMessage().contains("Rate limit"), e.getMessage());
  }

  @Test
  void aBadRequestIsNotRetried() {
    script.add(400);
    assertThrows(MlflowApiException.class, () -> client().post("runs/log-batch", Json.MAPPER.createObjectNode()));
    assertEquals(List.of("POST /api/2.0/mlflow/runs/log-batch application/json"), seen);
  }

  @Test
  void transientAnswersAreRetriedUntilOneSucceeds() {
    script.addAll(List.of(503, 429, 502));
    assertEquals(true, client().get("runs/get", Map.of("run_id", "r")).path("ok").asBoolean());
    assertEquals(4, seen.size());
  }

  @Test
  void transientAnswersGiveUpAfterTheLastAttempt() {
    script.addAll(List.of(503, 503, 503, 503, 503));
    MlflowApiException e = assertThrows(MlflowApiException.class, () -> client().get("runs/get", Map.of()));
    assertEquals(4, seen.size());
    assertEquals(503, e.status());
  }

  @Test
  void aNonJsonErrorPageKeepsItsText() {
    script.addAll(List.of(502, 502, 502, 502));
    MlflowApiException e = assertThrows(MlflowApiException.class, () -> client().get("runs/get", Map.of()));
    assertTrue(e.getMessage().contains("HTTP 502 HTTP_502: <html>bad gateway</html>"), e.getMessage());
  }
}
