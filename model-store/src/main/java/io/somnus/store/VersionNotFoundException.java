package io.somnus.store;

/** A model version id (given, or named by an alias) has no manifest in the store. */
public final class VersionNotFoundException extends ObjectStoreException {
  public VersionNotFoundException(String message) {
    super(message);
  }
}
