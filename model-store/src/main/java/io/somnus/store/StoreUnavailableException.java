package io.somnus.store;

/** The store could not be reached (or kept failing with server errors) after every retry. */
public final class StoreUnavailableException extends ObjectStoreException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
