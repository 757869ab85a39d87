package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import java.util.List;

/** Finds (subject, relation, object) statements in what a user said. Candidates only: see {@link GroundingFirewall}. */
public interface FactExtractor {
  List<Fact> extract(String userText);

  /**
   * Facts {@code userText} says no longer hold ("Mara Okafor no longer lives in Lisbon"): candidates for retraction,
   * screened like stated facts. None by default.
   */
  default List<Fact> retractions(String userText) {
    return List.of();
  }

  /** A sentence that reads as a statement but gave no fact, and why, so that it is never dropped without a word. */
  record Unused(String sentence, String reason) {}

  /** The statements of {@code userText} that {@link #extract} could not use; questions are not statements. */
  default List<Unused> unused(String userText) {
    return List.of();
  }
}
