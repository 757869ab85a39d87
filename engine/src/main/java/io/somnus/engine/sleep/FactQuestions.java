package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import java.util.List;

/**
 * Chat questions whose answer is a fact's object. The first question is the canonical one, used by
 * recall probes and the consolidation gate; the others are alternative phrasings that training adds
 * so that the knowledge does not hang on one wording. Questions must not contain the object.
 */
@FunctionalInterface
public interface FactQuestions {
  List<String> questions(Fact fact);

  default String canonical(Fact fact) {
    List<String> q = questions(fact);
    if (q.isEmpty()) throw new IllegalArgumentException("no question for fact '" + fact.sentence() + "'");
    return q.get(0);
  }
}
