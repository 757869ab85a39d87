package io.somnus.store;

/** A ledger snapshot that cannot be read as a Parquet fact table (damaged, truncated, wrong schema). */
public final class LedgerFormatException extends ObjectStoreException {
  public LedgerFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
