package io.somnus.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Artifact store: immutable content-addressed blobs plus small named documents.
 *
 * <p>Blobs ({@link #put(Path)}, {@link #put(byte[])}) are keyed by the SHA-256 of their bytes, so an
 * upload is idempotent (a retried activity re-uploads nothing) and every read is verified against
 * the key. Documents ({@link #readDocument}, {@link #writeDocument}) are JSON manifests, alias
 * tables and indexes; their writes can be conditional, which is what makes alias moves
 * compare-and-set.
 *
 * <p>Failures are unchecked: {@link CorruptObjectException}, {@link ObjectNotFoundException},
 * {@link PreconditionFailedException}, {@link StoreUnavailableException} (after retries), all
 * subclasses of {@link ObjectStoreException}.
 */
public interface ObjectStore extends AutoCloseable {

  /** Stores the file's bytes under {@code sha256/<hex>}; returns that key. Skips the upload if present. */
  String put(Path file);

  /** Stores the bytes under {@code sha256/<hex>}; returns that key. */
  String put(byte[] content);

  /** Downloads a blob to {@code target} (atomically replaced) after checking its hash. */
  void get(String key, Path target);

  /** Reads a whole blob into memory after checking its hash; for small blobs only. */
  byte[] getBytes(String key);

  boolean exists(String key);

  /** Every object whose key starts with {@code prefix}, in key order. */
  List<StoredObject> list(String prefix);

  /** Deletes a blob or document; deleting a missing key is not an error. */
  void delete(String key);

  /** A named document with its current etag, or empty if it does not exist. */
  Optional<Document> readDocument(String name);

  /**
   * Writes a named document if {@code condition} holds at the server; returns the new etag.
   *
   * @throws PreconditionFailedException if another writer got there first
   */
  String writeDocument(String name, byte[] content, WriteCondition condition);

  /** Where {@code key} lives as an S3 URI, e.g. {@code s3://somnus/sha256/ab12...}: how tracking links to it. */
  String uri(String key);

  /** Human-readable location, e.g. {@code http://127.0.0.1:9000/somnus}, for messages. */
  String describe();

  @Override
  void close();
}
