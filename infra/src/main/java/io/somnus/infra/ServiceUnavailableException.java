package io.somnus.infra;

/** A service (Temporal, S3, MLflow) cannot be reached; the message names it and what to check. */
public class ServiceUnavailableException extends RuntimeException {
  public ServiceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
