package io.somnus.engine.tiny;

import io.somnus.engine.memory.Fact;

/** A fact of the synthetic world together with the relation it instantiates. */
public record WorldFact(Fact fact, Relation relation) {
  public String question() {
    return relation.question(fact.subject());
  }
}
