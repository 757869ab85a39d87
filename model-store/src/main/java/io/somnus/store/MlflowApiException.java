package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * MLflow answered a request with an error: the HTTP status, MLflow's {@code error_code} (e.g.
 * {@code RESOURCE_DOES_NOT_EXIST}, {@code INVALID_PARAMETER_VALUE}) and its message.
 */
public class MlflowApiException extends TrackingException {
  private final int status;
  private final String errorCode;
  private final String serverMessage;

  MlflowApiException(String message, int status, String errorCode, String serverMessage) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
    this.serverMessage = serverMessage;
  }

  static MlflowApiException of(String server, String request, int status, byte[] body) {
    String code = "HTTP_" + status;
    String text = new String(body, StandardCharsets.UTF_8).strip();
    try {
      JsonNode n = Json.MAPPER.readTree(body);
      if (n != null && n.has("error_code")) {
        code = n.path("error_code").asText();
        text = n.path("message").asText(text);
      }
    } catch (IOException notJson) {
      // an HTML error page from a proxy or a missing endpoint: keep its text
    }
    if (text.length() > 500) text = text.substring(0, 500) + "…";
    return new MlflowApiException("MLflow at " + server + ": " + request + " failed with HTTP " + status + " " + code + ": " + text,
        status, code, text);
  }

  public int status() {
    return status;
  }

  public String errorCode() {
    return errorCode;
  }

  public String serverMessage() {
    return serverMessage;
  }

  boolean isNotFound() {
    return status == 404 && "RESOURCE_DOES_NOT_EXIST".equals(errorCode);
  }

  boolean isAlreadyExists() {
    return "RESOURCE_ALREADY_EXISTS".equals(errorCode);
  }
}
