package io.somnus.store;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.MinioException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ObjectStore} over the MinIO Java client: the same code talks to MinIO, AWS S3 or the
 * embedded S3Proxy. Large files go up in multipart uploads of {@link S3Settings#partSizeBytes()};
 * transient failures are retried with exponential backoff, 4xx answers are not.
 */
public final class S3ObjectStore implements ObjectStore {
  private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);
  private static final Set<String> MISSING_CODES = Set.of("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound");

  private final S3Settings settings;
  private final MinioClient client;

  private S3ObjectStore(S3Settings settings, MinioClient client) {
    this.settings = settings;
    this.client = client;
  }

  /** Connects and creates the bucket if it does not exist yet. */
  public static S3ObjectStore open(S3Settings settings) {
    MinioClient client = MinioClient.builder()
        .endpoint(settings.endpoint().toString())
        .credentials(settings.accessKey(), settings.secretKey())
        .region(settings.region())
        .build();
    S3ObjectStore store = new S3ObjectStore(settings, client);
    store.ensureBucket();
    return store;
  }

  public S3Settings settings() {
    return settings;
  }

  private void ensureBucket() {
    String bucket = settings.bucket();
    withRetry("create bucket " + bucket, () -> {
      if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
        try {
          client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
        } catch (ErrorResponseException e) {
          // Another process created it between our check and our create: that is the outcome we want.
          String code = e.errorResponse().code();
          if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) throw e;
        }
      }
      return null;
    });
  }

  @Override
  public String put(Path file) {
    if (!Files.isRegularFile(file)) throw new ObjectStoreException("cannot upload " + file + ": not a regular file");
    String key = ContentKeys.keyOf(file);
    long size = sizeOf(file);
    if (sizeIfPresent(key) == size) return key;
    withRetry("upload " + file + " as " + key, () -> client.uploadObject(UploadObjectArgs.builder()
        .bucket(settings.bucket()).object(key)
        .filename(file.toString(), settings.partSizeBytes())
        .contentType("application/octet-stream")
        .build()));
    return key;
  }

  @Override
  public String put(byte[] content) {
    String key = ContentKeys.keyOf(content);
    if (sizeIfPresent(key) == content.length) return key;
    withRetry("upload " + content.length + " bytes as " + key, () -> client.putObject(PutObjectArgs.builder()
        .bucket(settings.bucket()).object(key)
        .stream(new ByteArrayInputStream(content), (long) content.length, settings.partSizeBytes())
        .contentType("application/octet-stream")
        .build()));
    return key;
  }

  @Override
  public void get(String key, Path target) {
    String expected = ContentKeys.digestOf(key);
    Path dir = target.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    withRetry("download " + key, () -> {
      Path tmp = local("create a temp file in " + dir, () -> Files.createTempFile(dir, "." + target.getFileName(), ".part"));
      try {
        MessageDigest md = ContentKeys.sha256();
        try (InputStream in = openObject(key); OutputStream out = local("open " + tmp, () -> Files.newOutputStream(tmp))) {
          copy(in, new LocalOutput(out, tmp), md);
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (!actual.equals(expected)) throw new CorruptObjectException(key, actual);
        local("move " + tmp + " to " + target,
            () -> Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE));
      } finally {
        Files.deleteIfExists(tmp);
      }
      return null;
    });
  }

  @Override
  public byte[] getBytes(String key) {
    String expected = ContentKeys.digestOf(key);
    return withRetry("download " + key, () -> {
      MessageDigest md = ContentKeys.sha256();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = openObject(key)) {
        copy(in, out, md);
      }
      String actual = HexFormat.of().formatHex(md.digest());
      if (!actual.equals(expected)) throw new CorruptObjectException(key, actual);
      return out.toByteArray();
    });
  }

  @Override
  public boolean exists(String key) {
    return sizeIfPresent(key) >= 0;
  }

  @Override
  public List<StoredObject> list(String prefix) {
    return withRetry("list " + prefix, () -> {
      List<StoredObject> out = new ArrayList<>();
      for (Result<Item> r : client.listObjects(ListObjectsArgs.builder()
          .bucket(settings.bucket()).prefix(prefix).recursive(true).build())) {
        Item item = r.get();
        if (item.isDir()) continue;
        out.add(new StoredObject(item.objectName(), item.size(),
            item.lastModified() == null ? null : item.lastModified().toInstant()));
      }
      out.sort((a, b) -> a.key().compareTo(b.key()));
      return out;
    });
  }

  @Override
  public void delete(String key) {
    withRetry("delete " + key, () -> {
      client.removeObject(RemoveObjectArgs.builder().bucket(settings.bucket()).object(key).build());
      return null;
    });
  }

  @Override
  public Optional<Document> readDocument(String name) {
    checkDocumentName(name);
    return withRetry("read document " + name, () -> {
      try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(name).build())) {
        byte[] content = in.readAllBytes();
        return Optional.of(new Document(name, content, Etags.normalise(in.headers().get("ETag"))));
      } catch (ErrorResponseException e) {
        if (isMissing(e)) return Optional.<Document>empty();
        throw e;
      }
    });
  }

  @Override
  public String writeDocument(String name, byte[] content, WriteCondition condition) {
    checkDocumentName(name);
    Map<String, String> headers = condition.mustBeAbsent() ? Map.of("If-None-Match", "*")
        : condition.expectedEtag() != null ? Map.of("If-Match", "\"" + condition.expectedEtag() + "\"")
        : Map.of();
    return withRetry("write document " + name, () -> {
      try {
        return Etags.normalise(client.putObject(PutObjectArgs.builder()
            .bucket(settings.bucket()).object(name)
            .stream(new ByteArrayInputStream(content), (long) content.length, settings.partSizeBytes())
            .contentType("application/json")
            .headers(headers)
            .build()).etag());
      } catch (ErrorResponseException e) {
        if (statusOf(e) == 412 || "PreconditionFailed".equals(e.errorResponse().code())) {
          throw new PreconditionFailedException(name, condition);
        }
        if (statusOf(e) == 404 && condition.expectedEtag() != null) {
          // If-Match against a deleted object: the condition fails the same way.
          throw new PreconditionFailedException(name, condition);
        }
        throw e;
      }
    });
  }

  @Override
  public String uri(String key) {
    return "s3://" + settings.bucket() + "/" + key;
  }

  @Override
  public String describe() {
    return settings.endpoint() + "/" + settings.bucket();
  }

  @Override
  public void close() {
    try {
      client.close();
    } catch (Exception e) {
      log.debug("closing MinIO client", e);
    }
  }

  private InputStream openObject(String key) throws MinioException {
    try {
      return client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(key).build());
    } catch (ErrorResponseException e) {
      if (isMissing(e)) throw new ObjectNotFoundException(key, settings.bucket());
      throw e;
    }
  }

  /** Size of the object, or -1 if it does not exist. */
  private long sizeIfPresent(String key) {
    return withRetry("stat " + key, () -> {
      try {
        StatObjectResponse st = client.statObject(StatObjectArgs.builder().bucket(settings.bucket()).object(key).build());
        return st.size();
      } catch (ErrorResponseException e) {
        if (isMissing(e)) return -1L;
        throw e;
      }
    });
  }

  private static void checkDocumentName(String name) {
    if (name == null || name.isBlank() || name.startsWith("/") || name.contains("..") || name.startsWith(ContentKeys.PREFIX)) {
      throw new IllegalArgumentException("invalid document name '" + name + "' (relative, no '..', not under sha256/)");
    }
  }

  private static boolean isMissing(ErrorResponseException e) {
    return MISSING_CODES.contains(e.errorResponse().code()) || statusOf(e) == 404;
  }

  private static int statusOf(ErrorResponseException e) {
    return e.response() == null ? -1 : e.response().code();
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat " + file, e);
    }
  }

  private static void copy(InputStream in, OutputStream out, MessageDigest md) throws IOException {
    byte[] buf = new byte[1 << 20];
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
      out.write(buf, 0, n);
    }
  }

  /** A local disk failure (full disk, permissions): not the store's fault, so never retried. */
  static final class LocalFileException extends ObjectStoreException {
    LocalFileException(String message, IOException cause) {
      super(message + ": " + cause.getMessage(), cause);
    }
  }

  @FunctionalInterface
  private interface LocalCall<T> {
    T run() throws IOException;
  }

  private static <T> T local(String what, LocalCall<T> call) {
    try {
      return call.run();
    } catch (IOException e) {
      throw new LocalFileException("cannot " + what, e);
    }
  }

  /** Marks write failures of the download target as local, so they are not mistaken for network trouble. */
  private static final class LocalOutput extends java.io.FilterOutputStream {
    private final Path file;

    LocalOutput(OutputStream out, Path file) {
      super(out);
      this.file = file;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw new LocalFileException("cannot write " + file, e);
      }
    }
  }

  @FunctionalInterface
  private interface StoreCall<T> {
    T run() throws MinioException, IOException;
  }

  /** Runs {@code call}, retrying transient failures per the policy; translates what remains. */
  private <T> T withRetry(String what, StoreCall<T> call) {
    RetryPolicy policy = settings.retry();
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (ObjectStoreException e) {
        throw e;
      } catch (MinioException | IOException | RuntimeException e) {
        // MinIO reports some connection failures as unchecked wrappers (IllegalStateException,
        // CompletionException) around the IOException; the cause chain decides, not the wrapper.
        if (e instanceof RuntimeException && !isTransient(e)) throw (RuntimeException) e;
        boolean retry = isTransient(e) && attempt < policy.maxAttempts();
        if (!retry) {
          if (isTransient(e)) {
            throw new StoreUnavailableException(what + " failed after " + attempt + " attempt(s) against "
                + describe() + ": " + summary(e), e);
          }
          throw new ObjectStoreException(what + " failed at " + describe() + ": " + summary(e), e);
        }
        long waitMs = policy.delayBefore(attempt + 1).toMillis();
        log.warn("{} failed (attempt {}/{}): {}; retrying in {} ms", what, attempt, policy.maxAttempts(), summary(e), waitMs);
        try {
          Thread.sleep(waitMs);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new ObjectStoreException(what + " interrupted while waiting to retry", e);
        }
      }
    }
  }

  /** Connection trouble, 5xx, throttling and timeouts are worth retrying; anything else 4xx is not. */
  static boolean isTransient(Throwable e) {
    if (e instanceof ErrorResponseException ere) {
      int status = statusOf(ere);
      String code = ere.errorResponse().code();
      return status >= 500 || status == 429 || status == 408 || "SlowDown".equals(code) || "RequestTimeout".equals(code);
    }
    if (e instanceof ServerException se) return se.statusCode() >= 500 || se.statusCode() == 429;
    if (e instanceof InvalidResponseException) return true; // e.g. an HTML 502 page from a proxy
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) return true;
    }
    return false;
  }

  private static String summary(Throwable e) {
    if (e instanceof ErrorResponseException ere) {
      return "HTTP " + statusOf(ere) + " " + ere.errorResponse().code() + " (" + ere.errorResponse().message() + ")";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    return root == e ? String.valueOf(e) : e.getClass().getSimpleName() + ": " + root;
  }
}
