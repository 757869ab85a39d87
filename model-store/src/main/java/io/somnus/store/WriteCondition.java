package io.somnus.store;

/**
 * Precondition of a document write, sent as S3 {@code If-None-Match: *} or {@code If-Match: <etag>}.
 *
 * @param mustBeAbsent write only if no object has this name (write-once documents)
 * @param expectedEtag write only if the current object has this entity tag (compare-and-set)
 */
public record WriteCondition(boolean mustBeAbsent, String expectedEtag) {
  public WriteCondition {
    if (mustBeAbsent && expectedEtag != null) {
      throw new IllegalArgumentException("a write cannot require both absence and a current etag");
    }
  }

  /** Creates the document only if it does not exist yet. */
  public static WriteCondition absent() {
    return new WriteCondition(true, null);
  }

  /** Replaces the document only if it is still the version read with this etag. */
  public static WriteCondition matching(String etag) {
    if (etag == null || etag.isBlank()) throw new IllegalArgumentException("expected etag is empty");
    return new WriteCondition(false, Etags.normalise(etag));
  }

  /** Writes unconditionally (last writer wins). */
  public static WriteCondition none() {
    return new WriteCondition(false, null);
  }

  String describe() {
    if (mustBeAbsent) return "'object does not exist yet'";
    if (expectedEtag != null) return "'object still has etag " + expectedEtag + "'";
    return "'no condition'";
  }
}
