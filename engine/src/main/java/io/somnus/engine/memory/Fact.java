package io.somnus.engine.memory;

import java.util.Objects;

/**
 * A (subject, relation, object) triple stated by the user, e.g. ("Mara Okafor", "lives in", "Lisbon").
 *
 * <p>The raw-completion prompt is {@code subject + " " + relation} and the target continuation is
 * {@code " " + object}; both are what MEMIT keys and values are computed from, so their exact
 * spacing matters. The chat question comes from the relation's own template rather than a lookup
 * table, so an unknown relation never produces a question that leaks the answer.
 */
public record Fact(String subject, String relation, String object) {

  /** Objects longer than this are rejected: an edit must stay a fact, not a paragraph. */
  public static final int MAX_OBJECT_CHARS = 64;

  public Fact {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(relation, "relation");
    Objects.requireNonNull(object, "object");
    subject = subject.strip();
    relation = relation.strip();
    object = object.strip();
    if (subject.isEmpty()) throw new IllegalArgumentException("fact has an empty subject");
    if (relation.isEmpty()) throw new IllegalArgumentException("fact has an empty relation");
    if (object.isEmpty()) throw new IllegalArgumentException("fact '" + subject + " " + relation + "' has an empty object");
    if (object.length() > MAX_OBJECT_CHARS) {
      throw new IllegalArgumentException("fact object is " + object.length() + " characters, limit is " + MAX_OBJECT_CHARS);
    }
  }

  /** Raw-completion prompt, e.g. "Mara Okafor lives in". */
  public String prompt() {
    return subject + " " + relation;
  }

  /** Continuation the model should produce after {@link #prompt()}, with its leading space. */
  public String target() {
    return " " + object;
  }

  /** Declarative sentence, e.g. "Mara Okafor lives in Lisbon." */
  public String sentence() {
    return subject + " " + relation + " " + object + ".";
  }

  /** Stable identifier: the same triple always maps to the same id. */
  public String id() {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest((subject + "\u0000" + relation + "\u0000" + object).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
