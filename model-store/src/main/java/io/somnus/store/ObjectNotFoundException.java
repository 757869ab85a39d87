package io.somnus.store;

/** A key that should exist is not in the store (a missing blob or document). */
public final class ObjectNotFoundException extends ObjectStoreException {
  private final String key;

  public ObjectNotFoundException(String key, String bucket) {
    super("object " + key + " does not exist in bucket " + bucket);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
