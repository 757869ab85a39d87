package io.somnus.activities;

/**
 * A step was called with input it can never succeed on (an unknown version, a fact id that is not in
 * the table, a malformed setting). Retrying cannot help, so {@link StepOptions} lists this type as
 * non-retryable and the workflow sees the failure at once.
 */
public class BadStepInputException extends RuntimeException {
  public BadStepInputException(String message) {
    super(message);
  }

  public BadStepInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
