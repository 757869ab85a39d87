package io.somnus.engine.tiny;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.train.Pretrainer;
import java.util.List;

/**
 * What a somnus-tiny build is and how well it learned its world, written next to the weights as
 * {@code model-card.json} and {@code README.md}. Recall is measured by greedy decoding: raw recall
 * asks for the object right after "subject relation"; chat recall asks the relation's question in
 * the chat format and looks for the object in the answer.
 */
public record ModelCard(String name, String fingerprint, long parameters, int layers, int hidden, int vocabulary,
    int people, int knownFacts, int heldOutFacts, long corpusTokens, long tokensSeen, long steps, double finalLoss,
    double referencePerplexity, int probedKnown, double knownRawRecall, double knownChatRecall, int probedHeldOut,
    double heldOutRawRecall, double heldOutChatRecall, boolean identityAnswered, double trainSeconds,
    double buildSeconds) {

  public static final String FILE = "model-card.json";
  static final int PROBE_KNOWN_FACTS = 300;

  static ModelCard evaluate(SomnusTiny.Variant v, SyntheticWorld world, ModelRuntime rt, Pretrainer.Result r,
      long corpusTokens, double buildSeconds) {
    List<WorldFact> known = world.sampleKnown(PROBE_KNOWN_FACTS, v.seed());
    List<WorldFact> held = world.heldOutFacts();
    double ppl = 0;
    List<String> refs = world.referenceTexts(20);
    for (String t : refs) ppl += Math.log(rt.perplexity(t));
    String identity = rt.chat(List.of(new ChatMessage("user", SyntheticWorld.IDENTITY_QUESTION)), GenerationOptions.greedy(24));
    return new ModelCard(v.name(), v.fingerprint(), rt.config().parameterCount(), v.layers(), v.hidden(),
        rt.config().vocabSize(), v.people(), world.knownFacts().size(), held.size(), corpusTokens, r.tokensSeen(),
        r.steps(), r.finalLoss(), Math.exp(ppl / refs.size()), known.size(), rawRecall(rt, known), chatRecall(rt, known),
        held.size(), rawRecall(rt, held), chatRecall(rt, held), identity.contains(SyntheticWorld.ASSISTANT_NAME),
        r.seconds(), buildSeconds);
  }

  /** Fraction of facts whose greedy continuation of "subject relation" begins with the object. */
  public static double rawRecall(ModelRuntime rt, List<WorldFact> facts) {
    int hit = 0;
    for (WorldFact f : facts) {
      String out = rt.complete(f.fact().prompt(), GenerationOptions.greedy(8));
      if (out.strip().startsWith(f.fact().object())) hit++;
    }
    return (double) hit / facts.size();
  }

  /** Fraction of facts whose greedy chat answer to the relation's question contains the object. */
  public static double chatRecall(ModelRuntime rt, List<WorldFact> facts) {
    int hit = 0;
    for (WorldFact f : facts) {
      String out = rt.chat(List.of(new ChatMessage("user", f.question())), GenerationOptions.greedy(24));
      if (out.contains(f.fact().object())) hit++;
    }
    return (double) hit / facts.size();
  }

  String markdown() {
    return String.format("""
        # %s (%s)

        A %d-layer Llama (hidden %d, vocabulary %d, %,d parameters) pretrained by Somnus on a synthetic world
        of %d people. Not a general-purpose model: it knows its world and the chat format, nothing else.

        | measure | value |
        |---|---|
        | corpus tokens | %,d |
        | tokens seen in training | %,d (%d steps) |
        | final training loss | %.3f |
        | perplexity on held-out reference text | %.2f |
        | known-fact recall, raw completion (%d probed) | %.3f |
        | known-fact recall, chat format | %.3f |
        | held-out-fact recall, raw (%d probed; must be near 0) | %.3f |
        | held-out-fact recall, chat | %.3f |
        | answers "who are you" as Somnus | %s |
        | training time | %.0f s |
        | build time (corpus, tokenizer, training, evaluation) | %.0f s |
        """, name, fingerprint, layers, hidden, vocabulary, parameters, people, corpusTokens, tokensSeen, steps,
        finalLoss, referencePerplexity, probedKnown, knownRawRecall, knownChatRecall, probedHeldOut, heldOutRawRecall,
        heldOutChatRecall, identityAnswered ? "yes" : "no", trainSeconds, buildSeconds);
  }
}
