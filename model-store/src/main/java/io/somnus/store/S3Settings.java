package io.somnus.store;

import java.net.URI;
import java.util.Objects;

/**
 * Where and how to reach an S3-compatible store (MinIO in deployment, {@link EmbeddedS3Server} by
 * default).
 *
 * @param endpoint e.g. {@code http://127.0.0.1:9000}
 * @param bucket created on first use if missing
 * @param partSizeBytes multipart part size; files larger than this are uploaded in parts (min 5 MiB)
 */
public record S3Settings(URI endpoint, String accessKey, String secretKey, String bucket, String region,
    long partSizeBytes, RetryPolicy retry) {

  public static final long DEFAULT_PART_SIZE = 16L << 20;
  private static final long MIN_PART_SIZE = 5L << 20;

  public S3Settings {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(accessKey, "accessKey");
    Objects.requireNonNull(secretKey, "secretKey");
    Objects.requireNonNull(retry, "retry");
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("invalid S3 bucket name '" + bucket + "' (3-63 chars, lowercase, digits, '.', '-')");
    }
    if (region == null || region.isBlank()) region = "us-east-1";
    if (partSizeBytes < MIN_PART_SIZE) {
      throw new IllegalArgumentException("multipart part size must be at least 5 MiB (S3 rule), got " + partSizeBytes);
    }
  }

  public static S3Settings of(URI endpoint, String accessKey, String secretKey, String bucket) {
    return new S3Settings(endpoint, accessKey, secretKey, bucket, "us-east-1", DEFAULT_PART_SIZE, RetryPolicy.standard());
  }

  public S3Settings withRetry(RetryPolicy policy) {
    return new S3Settings(endpoint, accessKey, secretKey, bucket, region, partSizeBytes, policy);
  }

  public S3Settings withPartSize(long bytes) {
    return new S3Settings(endpoint, accessKey, secretKey, bucket, region, bytes, retry);
  }

  @Override
  public String toString() {
    // never print the secret key
    return "S3Settings[" + endpoint + "/" + bucket + ", access key " + accessKey + "]";
  }
}
