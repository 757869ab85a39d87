package io.somnus.store;

/** Tracking could not record or read something (server error, unknown run, unreadable local record). */
public class TrackingException extends RuntimeException {
  public TrackingException(String message) {
    super(message);
  }

  public TrackingException(String message, Throwable cause) {
    super(message, cause);
  }
}
