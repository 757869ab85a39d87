package io.somnus.store;

/**
 * A conditional write lost its race: the document changed (or appeared) since the caller read it.
 * Nothing was written; the caller re-reads and decides again.
 */
public final class PreconditionFailedException extends ObjectStoreException {
  public PreconditionFailedException(String name, WriteCondition condition) {
    super("conditional write of " + name + " refused: " + condition.describe() + " no longer holds");
  }
}
