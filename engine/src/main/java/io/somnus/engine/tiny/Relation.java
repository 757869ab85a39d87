package io.somnus.engine.tiny;

import java.util.List;

/**
 * A relation of the synthetic world: the phrase that joins subject and object in a statement, the
 * question that asks for the object in chat, and alternative phrasings used for generalisation.
 *
 * @param phrase canonical verb phrase, e.g. "lives in" — a fact's raw prompt is "subject phrase"
 * @param question chat question with %s for the subject, e.g. "Where does %s live?"
 * @param paraphrases other questions and cloze prompts with %s for the subject; a cloze prompt ends
 *     without '?' and expects the object next
 * @param inCorpus false for relations the pretraining corpus never uses (taught only later)
 * @param singleValued a person holds one object at a time (one home city, one job): a new object replaces the old one;
 *     otherwise a new object is one more (hobbies, languages)
 */
public record Relation(String phrase, String question, List<String> paraphrases, boolean inCorpus, boolean singleValued) {
  public Relation {
    paraphrases = List.copyOf(paraphrases);
  }

  public String question(String subject) {
    return String.format(question, subject);
  }
}
