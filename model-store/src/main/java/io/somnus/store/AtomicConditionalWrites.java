package io.somnus.store;

import java.io.InputStream;
import java.util.Objects;
import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Makes S3 conditional PUTs ({@code If-Match}, {@code If-None-Match: *}) atomic on the embedded
 * server.
 *
 * <p>Why: S3Proxy evaluates the precondition and then writes, two steps with a gap in which a second
 * writer can pass the same check; two promotes could then both "win". MinIO and AWS S3 evaluate
 * the condition atomically with the write. Every request to the embedded server runs in this JVM,
 * so re-checking the condition under one lock, immediately before the write, closes the gap for
 * all its clients. Only conditional writes take the lock; they are small documents.
 */
final class AtomicConditionalWrites extends ForwardingBlobStore {
  private final Object lock = new Object();

  AtomicConditionalWrites(BlobStore delegate) {
    super(delegate);
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream payload) {
    if (request.ifMatch() == null && request.ifNoneMatch() == null) return super.putBlob(request, payload);
    synchronized (lock) {
      HeadObjectResponse current = delegate().blobMetadataIfPresent(request.bucket(), request.key());
      if ("*".equals(request.ifNoneMatch()) && current != null) {
        throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
      }
      if (request.ifMatch() != null) {
        String expected = Etags.normalise(request.ifMatch());
        if (current == null || !("*".equals(expected) || Objects.equals(expected, Etags.normalise(current.eTag())))) {
          throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
        }
      }
      return super.putBlob(request, payload);
    }
  }
}
