package io.somnus.engine.sleep;

import java.util.Arrays;

/**
 * One training sequence: {@code tokens[0..answerStart)} is the prompt the model conditions on, the
 * rest is the answer it must produce. Loss counts only answer tokens, so training teaches what to
 * say, not how users ask.
 */
public record QaExample(long[] tokens, int answerStart) {
  public QaExample {
    if (answerStart <= 0 || answerStart >= tokens.length) {
      throw new IllegalArgumentException("example of " + tokens.length + " tokens needs a non-empty prompt and answer, answer starts at " + answerStart);
    }
    tokens = tokens.clone();
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
    return o instanceof QaExample e && e.answerStart == answerStart && Arrays.equals(e.tokens, tokens);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tokens) * 31 + answerStart;
  }

  @Override
  public String toString() {
    return "QaExample[" + tokens.length + " tokens, answer from " + answerStart + "]";
  }
}
