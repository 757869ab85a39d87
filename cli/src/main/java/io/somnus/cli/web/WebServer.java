package io.somnus.cli.web;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of {@code somnus serve} and {@code somnus ui} (Javalin on Jetty): the OpenAI-compatible API, the
 * lineage page, or both in one process. Every error, the server's own (unknown path, wrong method, body too large)
 * included, is answered in OpenAI's {@code {"error": {...}}} shape.
 */
public final class WebServer implements AutoCloseable {
  /** Requests over this size are refused with 413 before they are read. */
  static final long MAX_BODY_BYTES = 1 << 20;

  private static final Logger log = LoggerFactory.getLogger(WebServer.class);

  /** A set of routes the server carries. */
  public interface Routes {
    void addTo(JavalinConfig config);
  }

  private final Javalin app;

  private WebServer(Javalin app) {
    this.app = app;
  }

  /** Listens on {@code host:port} (port 0: any free port) with {@code routes}. */
  public static WebServer start(String host, int port, Routes... routes) {
    Javalin app = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      config.startup.showOldJavalinVersionWarning = false;
      config.http.maxRequestSize = MAX_BODY_BYTES;
      config.http.prefer405over404 = true;
      for (Routes r : routes) r.addTo(config);
      config.routes.exception(ApiError.class, (e, ctx) -> Json.send(ctx, e.status(), e.body()));
      config.routes.exception(HttpResponseException.class, (e, ctx) -> Json.send(ctx, e.getStatus(),
          new ApiError(e.getStatus(), "invalid_request_error", null, null, describe(e, ctx.method().name(), ctx.path())).body()));
      config.routes.exception(Exception.class, (e, ctx) -> {
        log.warn("{} {} failed", ctx.method(), ctx.path(), e);
        Json.send(ctx, 500, new ApiError(500, "server_error", null, null, "The server failed: " + e.getMessage()).body());
      });
    });
    app.start(host, port);
    return new WebServer(app);
  }

  private static String describe(HttpResponseException e, String method, String path) {
    return switch (e.getStatus()) {
      case 404 -> "Unknown request URL: " + method + " " + path + ". Served: GET /v1/models, GET /v1/models/{model}, "
          + "POST /v1/chat/completions, and the lineage page under /ui/ where it is on.";
      case 405 -> "Method " + method + " is not allowed on " + path + ".";
      case 413 -> "The request body is over " + MAX_BODY_BYTES + " bytes.";
      default -> e.getMessage();
    };
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }
}
