package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SyntheticWorld;
import java.util.ArrayList;
import java.util.List;

/** Questions of the somnus-tiny world, taken from the relation templates the world defines. */
public final class WorldQuestions implements QuestionBank {
  @Override
  public String question(Fact fact) {
    return relation(fact).question(fact.subject());
  }

  @Override
  public List<String> paraphrases(Fact fact) {
    List<String> out = new ArrayList<>();
    for (String p : relation(fact).paraphrases()) {
      String q = String.format(p, fact.subject());
      if (q.strip().endsWith("?")) out.add(q);
    }
    return out;
  }

  private static Relation relation(Fact fact) {
    for (Relation r : SyntheticWorld.TEACHABLE_RELATIONS) if (r.phrase().equals(fact.relation())) return r;
    for (Relation r : SyntheticWorld.CORPUS_RELATIONS) if (r.phrase().equals(fact.relation())) return r;
    throw new IllegalArgumentException("relation '" + fact.relation() + "' of " + fact.id() + " is not one of the world's");
  }
}
