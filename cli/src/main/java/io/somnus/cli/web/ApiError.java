package io.somnus.cli.web;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request refused, as OpenAI words it: an HTTP status and {@code {"error": {message, type, param, code}}}. Clients
 * (the {@code openai} SDKs among them) map the status to an exception type and show the message, so the message says
 * what was wrong and what to send instead.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;

  public ApiError(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 {@code invalid_request_error} about one parameter ({@code param} may be null). */
  public static ApiError invalid(String param, String code, String message) {
    return new ApiError(400, "invalid_request_error", param, code, message);
  }

  public static ApiError notFound(String param, String code, String message) {
    return new ApiError(404, "invalid_request_error", param, code, message);
  }

  public int status() {
    return status;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }

  public ObjectNode body() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode error = root.putObject("error").put("message", getMessage()).put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }
}
