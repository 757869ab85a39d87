package io.somnus.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Content addressing: a blob's key is {@code sha256/<64 hex digits>} of its bytes. Documents
 * (manifests, aliases, indexes) live under any other name, so the two never collide.
 */
public final class ContentKeys {
  public static final String PREFIX = "sha256/";
  /** Matches a content key anywhere in a text; garbage collection uses it to find references. */
  public static final Pattern KEY_PATTERN = Pattern.compile("sha256/[0-9a-f]{64}");

  private ContentKeys() {}

  public static boolean isContentKey(String key) {
    return key != null && key.length() == PREFIX.length() + 64 && KEY_PATTERN.matcher(key).matches();
  }

  public static String keyOf(byte[] content) {
    return PREFIX + HexFormat.of().formatHex(sha256().digest(content));
  }

  public static String keyOf(Path file) {
    MessageDigest md = sha256();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " to hash it", e);
    }
    return PREFIX + HexFormat.of().formatHex(md.digest());
  }

  /** The hex digest a content key promises. */
  public static String digestOf(String key) {
    if (!isContentKey(key)) throw new IllegalArgumentException("not a content key (sha256/<64 hex>): " + key);
    return key.substring(PREFIX.length());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
