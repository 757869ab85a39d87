package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.SyntheticWorld;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the chat examples of one sleep: every fact being consolidated under its main question and
 * a few paraphrased questions (so that the knowledge is not tied to one wording), plus rehearsal of
 * material the model must keep: already consolidated facts, a sample of what it knew before, and
 * its identity. The reference trains on the new facts alone (spec §7.6); with a model this small
 * that visibly erodes the rest, so rehearsal is the default here.
 */
public final class TrainingSet {
  private TrainingSet() {}

  /** The answer the assistant is trained to give: the fact as one declarative sentence. */
  public static String answer(Fact f) {
    return f.sentence();
  }

  /**
   * @param taught facts to consolidate: main question and {@code paraphrases} extra questions each
   * @param rehearsedFacts facts to keep: main question only
   * @param paraphrases extra phrasings per taught fact (fewer when the bank has fewer)
   */
  public static List<QaExample> build(List<Fact> taught, List<Fact> rehearsedFacts, QuestionBank questions, int paraphrases) {
    List<QaExample> out = new ArrayList<>();
    for (Fact f : taught) {
      out.add(new QaExample(questions.question(f), answer(f), false));
      List<String> more = questions.paraphrases(f);
      for (int i = 0; i < Math.min(paraphrases, more.size()); i++) out.add(new QaExample(more.get(i), answer(f), false));
    }
    for (Fact f : rehearsedFacts) out.add(new QaExample(questions.question(f), answer(f), true));
    return out;
  }

  /** The identity exchange somnus-tiny was pretrained on, so that training never teaches it to forget its name. */
  public static QaExample identity() {
    return new QaExample(SyntheticWorld.IDENTITY_QUESTION, SyntheticWorld.IDENTITY_ANSWER, true);
  }
}
