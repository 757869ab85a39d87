package io.somnus.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3-compatible server inside this JVM: S3Proxy over its filesystem blob store, listening on
 * localhost. The quickstart and the tests point the ordinary MinIO client at it, so the code path is
 * the one that talks to MinIO in deployment.
 *
 * <p>Objects live as plain files under {@code <dataDir>/<bucket>/<key>}. Conditional writes are
 * made atomic by {@link AtomicConditionalWrites} (S3Proxy alone checks and writes in two steps).
 */
public final class EmbeddedS3Server implements AutoCloseable {
  private final S3Proxy proxy;
  private final Path dataDir;
  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;

  private EmbeddedS3Server(S3Proxy proxy, Path dataDir, URI endpoint, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.dataDir = dataDir;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /** Starts on a free localhost port with freshly generated keys. */
  public static EmbeddedS3Server start(Path dataDir) {
    return start(dataDir, 0, "somnus-" + randomHex(6), randomHex(20));
  }

  /**
   * Starts on {@code port} (0 = any free port) with the given keys, serving the files under
   * {@code dataDir} (created if missing; existing objects are served as they are).
   */
  public static EmbeddedS3Server start(Path dataDir, int port, String accessKey, String secretKey) {
    Path root = dataDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create embedded S3 folder " + root, e);
    }
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", root.toString());
    props.setProperty("jclouds.identity", accessKey);
    props.setProperty("jclouds.credential", secretKey);
    BlobStore blobs = new AtomicConditionalWrites(BlobStores.create("filesystem", props));
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(blobs)
        .endpoint(URI.create("http://127.0.0.1:" + port))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .ignoreUnknownHeaders(true)
        .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start within 30 s: " + proxy.getState());
        Thread.sleep(10);
      }
    } catch (Exception e) {
      try {
        proxy.stop();
      } catch (Exception ignored) {
        // already failing; report the start error
      }
      throw new ObjectStoreException("cannot start embedded S3 server on port " + port + ": " + e.getMessage(), e);
    }
    URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    return new EmbeddedS3Server(proxy, root, endpoint, accessKey, secretKey);
  }

  public URI endpoint() {
    return endpoint;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** Folder whose sub-folders are the buckets. */
  public Path dataDir() {
    return dataDir;
  }

  /** Client settings for a bucket on this server. */
  public S3Settings settings(String bucket) {
    return S3Settings.of(endpoint, accessKey, secretKey, bucket);
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new ObjectStoreException("cannot stop embedded S3 server at " + endpoint, e);
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
