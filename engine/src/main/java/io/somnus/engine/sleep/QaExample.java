package io.somnus.engine.sleep;

import java.util.Arrays;

/**
 * One training sequence: {@code tokens[0..answerStart)} is the prompt the model conditions on, the
 * rest is the answer it must produce. Loss counts only answer tokens, so training teaches what to
 * say, not how users ask. {@code tokens[keyStart..keyEnd)} are the answer tokens that carry the fact
 * (the object); whether a fact is learned is judged on them alone, because a small model may never
 * copy a rare subject name back perfectly, and that is not the fact.
 */
public record QaExample(long[] tokens, int answerStart, int keyStart, int keyEnd) {
  public QaExample {
    if (answerStart <= 0 || answerStart >= tokens.length) {
      throw new IllegalArgumentException("example of " + tokens.length + " tokens needs a non-empty prompt and answer, answer starts at " + answerStart);
    }
    if (keyStart < answerStart || keyEnd <= keyStart || keyEnd > tokens.length) {
      throw new IllegalArgumentException("key span [" + keyStart + ", " + keyEnd + ") must lie inside the answer [" + answerStart + ", " + tokens.length + ")");
    }
    tokens = tokens.clone();
  }

  /** An example whose whole answer is the key. */
  public QaExample(long[] tokens, int answerStart) {
    this(tokens, answerStart, answerStart, tokens.length);
  }

  @Override
  public long[] tokens() {
    return tokens.clone();
  }

  public int length() {
    return tokens.length;
  }

  long token(int i) {
    return tokens[i];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QaExample e && e.answerStart == answerStart && e.keyStart == keyStart && e.keyEnd == keyEnd
        && Arrays.equals(e.tokens, tokens);
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(tokens) * 31 + answerStart) * 31 + keyStart * 17 + keyEnd;
  }

  @Override
  public String toString() {
    return "QaExample[" + tokens.length + " tokens, answer from " + answerStart + ", key [" + keyStart + ", " + keyEnd + ")]";
  }
}
