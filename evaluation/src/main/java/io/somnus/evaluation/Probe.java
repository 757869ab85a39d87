package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;

/**
 * One question asked of a model about a taught fact.
 *
 * @param fact the taught fact the question is about (for retrieval: the sentence that should be found)
 * @param kind what the question tests
 * @param text the chat question, or the raw prompt to continue
 * @param expected the answer that counts as correct (contained in the model's output)
 */
public record Probe(Fact fact, Kind kind, String text, String expected) {

  public enum Kind {
    /** The relation's canonical question, in the chat format — what consolidation trains on. */
    CHAT(true, "canonical question, chat"),
    /** Other questions for the same relation, in chat: does the memory hang on one wording? */
    CHAT_PARAPHRASE(true, "paraphrased question, chat"),
    /** "subject relation" continued as raw text — the form MEMIT writes. */
    RAW(false, "subject + relation, raw completion"),
    /** Other cloze prompts ("The home of X is in"), raw completion. */
    RAW_PARAPHRASE(false, "paraphrased cloze, raw completion"),
    /**
     * Two hops: a taught fact plus a rule of the world the model learned in pretraining (a person
     * lives where their employer is based; the language follows the city's country). The question
     * never names the taught object, so the answer must be derived, not copied.
     */
    MULTI_HOP(true, "taught fact + world rule, chat");

    public final boolean chat;
    public final String description;

    Kind(boolean chat, String description) {
      this.chat = chat;
      this.description = description;
    }
  }

  public boolean correct(String output) {
    return output.toLowerCase(java.util.Locale.ROOT).contains(expected.toLowerCase(java.util.Locale.ROOT));
  }
}
