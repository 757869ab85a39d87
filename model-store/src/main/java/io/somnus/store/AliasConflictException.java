package io.somnus.store;

/**
 * Another promote or rollback moved the aliases first. Nothing was changed by this call; the
 * caller re-reads the aliases and decides whether its move still makes sense.
 */
public final class AliasConflictException extends ObjectStoreException {
  public AliasConflictException(String message) {
    super(message);
  }
}
