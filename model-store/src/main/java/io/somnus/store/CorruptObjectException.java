package io.somnus.store;

/**
 * The bytes read back for a content-addressed key do not hash to that key. Nothing was written to
 * the caller's target; the stored object must be re-uploaded from a good copy.
 */
public final class CorruptObjectException extends ObjectStoreException {
  private final String key;
  private final String actualSha256;

  public CorruptObjectException(String key, String actualSha256) {
    super("object " + key + " is corrupt: its content hashes to sha256 " + actualSha256
        + "; the stored copy is damaged and was not used");
    this.key = key;
    this.actualSha256 = actualSha256;
  }

  public String key() {
    return key;
  }

  public String actualSha256() {
    return actualSha256;
  }
}
