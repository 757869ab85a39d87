package io.somnus.store;

/**
 * One file of a checkpoint folder as stored: its path relative to the folder and its content key.
 * Shards that did not change between versions have the same key and are stored once.
 */
public record CheckpointFile(String path, String key, long size) {
  public CheckpointFile {
    if (path == null || path.isBlank() || path.startsWith("/") || path.contains("..")) {
      throw new IllegalArgumentException("checkpoint file path must be relative without '..': " + path);
    }
    if (!ContentKeys.isContentKey(key)) throw new IllegalArgumentException("not a content key: " + key);
  }
}
