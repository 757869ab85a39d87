package io.somnus.store;

/** Entity tags arrive quoted from some servers and bare from others; compare them bare. */
final class Etags {
  private Etags() {}

  static String normalise(String etag) {
    if (etag == null) return null;
    String e = etag.strip();
    if (e.startsWith("W/")) e = e.substring(2);
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
    return e;
  }
}
