package io.somnus.engine.consolidation;

/**
 * One chat training example: the user's question and the assistant's answer. Loss is taken only on
 * the answer. {@code rehearsal} marks material that is replayed so that training does not erase it
 * (identity, known facts, already consolidated facts) rather than taught.
 */
public record QaExample(String question, String answer, boolean rehearsal) {
  public QaExample {
    if (question == null || question.isBlank()) throw new IllegalArgumentException("example has an empty question");
    if (answer == null || answer.isBlank()) throw new IllegalArgumentException("example for '" + question + "' has an empty answer");
  }
}
