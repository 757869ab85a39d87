package io.somnus.store;

import java.nio.charset.StandardCharsets;

/**
 * A small named, mutable object (manifest, alias table, index) as read from the store, with the
 * entity tag that a later conditional write must match.
 */
public record Document(String name, byte[] content, String etag) {
  public String text() {
    return new String(content, StandardCharsets.UTF_8);
  }
}
