package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import java.util.List;

/** The chat questions that ask for a fact's object: the main one (used by the gate) and paraphrases (for training). */
public interface QuestionBank {
  /** The question the gate and the validator ask. */
  String question(Fact fact);

  /** Other questions with the same answer; cloze prompts are not questions and are not returned. */
  List<String> paraphrases(Fact fact);
}
