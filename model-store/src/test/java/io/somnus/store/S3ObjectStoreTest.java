package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MinIO client against the embedded S3Proxy server: the code path used with real MinIO. */
class S3ObjectStoreTest {
  @TempDir static Path root;
  static EmbeddedS3Server server;
  static S3ObjectStore store;

  @BeforeAll
  static void start() {
    server = EmbeddedS3Server.start(root.resolve("s3"));
    store = S3ObjectStore.open(server.settings("artifacts"));
  }

  @AfterAll
  static void stop() {
    store.close();
    server.close();
  }

  @Test
  void bytesAndFilesRoundTripUnderTheirSha256() throws IOException {
    byte[] content = "hello, weights".getBytes(StandardCharsets.UTF_8);
    String key = store.put(content);
    assertEquals(ContentKeys.keyOf(content), key);
    assertTrue(key.matches("sha256/[0-9a-f]{64}"));
    assertArrayEquals(content, store.getBytes(key));

    Path file = root.resolve("in.bin");
    byte[] random = new byte[300_000];
    new Random(7).nextBytes(random);
    Files.write(file, random);
    String fileKey = store.put(file);
    assertEquals(ContentKeys.keyOf(random), fileKey);
    Path out = root.resolve("out/copy.bin");
    store.get(fileKey, out);
    assertArrayEquals(random, Files.readAllBytes(out));
    assertTrue(store.exists(fileKey));
    assertTrue(store.list(ContentKeys.PREFIX).stream().anyMatch(o -> o.key().equals(fileKey) && o.size() == random.length));

    // Same content again: same key, no second object.
    int before = store.list(ContentKeys.PREFIX).size();
    assertEquals(fileKey, store.put(file));
    assertEquals(before, store.list(ContentKeys.PREFIX).size());

    store.delete(fileKey);
    assertFalse(store.exists(fileKey));
  }

  @Test
  void corruptBlobOnDiskIsDetectedAndTargetUntouched() throws IOException {
    byte[] content = new byte[64 * 1024];
    new Random(11).nextBytes(content);
    String key = store.put(content);
    Path onDisk = blobFile(key);
    byte[] damaged = Files.readAllBytes(onDisk);
    damaged[1000] ^= 0x5A;
    Files.write(onDisk, damaged);

    CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> store.getBytes(key));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());

    Path target = root.resolve("corrupt-target.bin");
    Files.writeString(target, "previous content");
    assertThrows(CorruptObjectException.class, () -> store.get(key, target));
    assertEquals("previous content", Files.readString(target), "a failed verified read must not replace the target");
    try (Stream<Path> leftovers = Files.list(root)) {
      assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "temp file left behind");
    }
  }

  @Test
  void missingBlobIsANamedError() {
    String key = ContentKeys.keyOf("never stored".getBytes(StandardCharsets.UTF_8));
    assertFalse(store.exists(key));
    ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> store.getBytes(key));
    assertTrue(e.getMessage().contains(key), e.getMessage());
    assertThrows(ObjectNotFoundException.class, () -> store.get(key, root.resolve("never.bin")));
    assertThrows(IllegalArgumentException.class, () -> store.getBytes("not-a-content-key"));
  }

  @Test
  void largeArtifactGoesUpInPartsAndComesBackIdentical() throws IOException {
    Path big = root.resolve("big.bin");
    long size = 110L * 1024 * 1024 + 12345;  // > 100 MB and not a multiple of the part size
    Random rnd = new Random(3);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(big)) {
      for (long written = 0; written < size; ) {
        rnd.nextBytes(block);
        int n = (int) Math.min(block.length, size - written);
        out.write(block, 0, n);
        written += n;
      }
    }
    String expectedKey = ContentKeys.keyOf(big);
    long t0 = System.nanoTime();
    String key = store.put(big);
    double upSeconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(expectedKey, key);
    StoredObject listed = store.list(key).get(0);
    assertEquals(size, listed.size());
    long parts = (size + store.settings().partSizeBytes() - 1) / store.settings().partSizeBytes();
    io.minio.MinioClient raw = io.minio.MinioClient.builder().endpoint(server.endpoint().toString())
        .credentials(server.accessKey(), server.secretKey()).build();
    try {
      String etag = raw.statObject(io.minio.StatObjectArgs.builder().bucket("artifacts").object(key).build()).etag();
      // S3 gives a multipart object the etag "<md5 of part md5s>-<part count>".
      assertTrue(Etags.normalise(etag).endsWith("-" + parts), "expected a " + parts + "-part upload, etag " + etag);
    } catch (io.minio.errors.MinioException e) {
      throw new AssertionError(e);
    } finally {
      try {
        raw.close();
      } catch (Exception ignored) {
        // test-only client
      }
    }

    Path back = root.resolve("big-back.bin");
    long t1 = System.nanoTime();
    store.get(key, back);
    double downSeconds = (System.nanoTime() - t1) / 1e9;
    assertEquals(size, Files.size(back));
    assertEquals(expectedKey, ContentKeys.keyOf(back));
    double mb = size / 1e6;
    System.out.printf("multipart artifact: %.1f MB (part size %d MiB, %d parts): upload %.2f s = %.1f MB/s, verified download %.2f s = %.1f MB/s%n",
        mb, store.settings().partSizeBytes() >> 20, (size + store.settings().partSizeBytes() - 1) / store.settings().partSizeBytes(),
        upSeconds, mb / upSeconds, downSeconds, mb / downSeconds);
    Files.delete(big);
    Files.delete(back);
    store.delete(key);
  }

  @Test
  void conditionalDocumentWritesAreCompareAndSet() throws Exception {
    String name = "test/cas.json";
    String e1 = store.writeDocument(name, "{\"g\":1}".getBytes(StandardCharsets.UTF_8), WriteCondition.absent());
    assertThrows(PreconditionFailedException.class,
        () -> store.writeDocument(name, "{\"g\":9}".getBytes(StandardCharsets.UTF_8), WriteCondition.absent()));
    Document d = store.readDocument(name).orElseThrow();
    assertEquals(e1, d.etag());
    String e2 = store.writeDocument(name, "{\"g\":2}".getBytes(StandardCharsets.UTF_8), WriteCondition.matching(d.etag()));
    assertThrows(PreconditionFailedException.class,
        () -> store.writeDocument(name, "{\"g\":3}".getBytes(StandardCharsets.UTF_8), WriteCondition.matching(e1)));
    assertEquals("{\"g\":2}", store.readDocument(name).orElseThrow().text());
    assertEquals(e2, store.readDocument(name).orElseThrow().etag());
    assertTrue(store.readDocument("test/absent.json").isEmpty());

    // Many writers race from the same read: exactly one compare-and-set may win.
    Document base = store.readDocument(name).orElseThrow();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        byte[] body = ("{\"writer\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        results.add(pool.submit(() -> {
          try {
            store.writeDocument(name, body, WriteCondition.matching(base.etag()));
            return true;
          } catch (PreconditionFailedException lost) {
            return false;
          }
        }));
      }
      int winners = 0;
      for (Future<Boolean> f : results) if (f.get()) winners++;
      assertEquals(1, winners, "exactly one concurrent compare-and-set must succeed");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void unreachableStoreFailsClearlyAfterRetries() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    S3Settings dead = S3Settings.of(URI.create("http://127.0.0.1:" + port), "k", "s", "nothing")
        .withRetry(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(50)));
    long t0 = System.nanoTime();
    StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> S3ObjectStore.open(dead));
    assertTrue(e.getMessage().contains("after 3 attempt"), e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    assertTrue(System.nanoTime() - t0 > 20_000_000L, "should have backed off between attempts");
  }

  @Test
  void clientErrorsAreNotRetried() {
    S3Settings wrongKey = S3Settings.of(server.endpoint(), server.accessKey(), "wrong-secret", "artifacts")
        .withRetry(new RetryPolicy(2, Duration.ofSeconds(60), Duration.ofSeconds(60)));
    long t0 = System.nanoTime();
    ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> S3ObjectStore.open(wrongKey));
    assertFalse(e instanceof StoreUnavailableException, "a 403 is not a transient failure: " + e);
    // one retry would sleep 60 s; a refused request takes well under 30 s even on a loaded machine
    assertTrue((System.nanoTime() - t0) < 30_000_000_000L, "4xx must not wait for retries");
  }

  static Path blobFile(String key) throws IOException {
    String digest = ContentKeys.digestOf(key);
    try (Stream<Path> files = Files.walk(server.dataDir())) {
      return files.filter(p -> p.getFileName().toString().equals(digest) && Files.isRegularFile(p))
          .findFirst().orElseThrow(() -> new AssertionError("no file for " + key + " under " + server.dataDir()));
    }
  }
}
