package io.somnus.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A separate JVM that creates a version and promotes it, stopping at a named point so the parent
 * test can kill it there with {@code destroyForcibly()} (SIGKILL: no shutdown hooks, no cleanup).
 *
 * <p>args: endpoint accessKey secretKey bucket checkpointDir parentId runId stopAt, where stopAt is
 * {@code upload} (after the first new checkpoint file is stored, before the manifest) or
 * {@code alias} (version committed, before the alias move).
 */
public final class PromoteChild {
  public static void main(String[] args) throws Exception {
    S3Settings settings = S3Settings.of(URI.create(args[0]), args[1], args[2], args[3]);
    Path checkpoint = Path.of(args[4]);
    String parent = args[5];
    String run = args[6];
    String stopAt = args[7];
    try (S3ObjectStore s3 = S3ObjectStore.open(settings)) {
      ObjectStore store = "upload".equals(stopAt) ? new StopAfterFirstNewBlob(s3) : s3;
      ModelRegistry registry = new ModelRegistry(store);
      ModelVersion v = registry.create(new NewVersion(parent, checkpoint, List.of(), List.of(), run, Map.of()));
      if ("alias".equals(stopAt)) barrier("alias " + v.id());
      registry.promote(v.id(), run);
      System.out.println("PROMOTED " + v.id());
    }
  }

  static void barrier(String where) throws InterruptedException {
    System.out.println("BARRIER " + where);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE); // the parent kills us here
  }

  /** Lets one new blob upload through, then parks: the kill lands in the middle of the upload phase. */
  static final class StopAfterFirstNewBlob implements ObjectStore {
    private final ObjectStore d;
    private int newBlobs;

    StopAfterFirstNewBlob(ObjectStore d) {
      this.d = d;
    }

    @Override
    public String put(Path file) {
      boolean isNew = !d.exists(ContentKeys.keyOf(file));
      String key = d.put(file);
      if (isNew && ++newBlobs == 1) {
        try {
          barrier("upload " + key);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return key;
    }

    @Override public String put(byte[] content) { return d.put(content); }
    @Override public void get(String key, Path target) { d.get(key, target); }
    @Override public byte[] getBytes(String key) { return d.getBytes(key); }
    @Override public boolean exists(String key) { return d.exists(key); }
    @Override public List<StoredObject> list(String prefix) { return d.list(prefix); }
    @Override public void delete(String key) { d.delete(key); }
    @Override public Optional<Document> readDocument(String name) { return d.readDocument(name); }
    @Override public String writeDocument(String name, byte[] content, WriteCondition c) { return d.writeDocument(name, content, c); }
    @Override public String uri(String key) { return d.uri(key); }
    @Override public String describe() { return d.describe(); }
    @Override public void close() { d.close(); }
  }
}
