package io.somnus.store;

/** Base of every failure the artifact store reports; unchecked so callers only catch what they handle. */
public class ObjectStoreException extends RuntimeException {
  public ObjectStoreException(String message) {
    super(message);
  }

  public ObjectStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
