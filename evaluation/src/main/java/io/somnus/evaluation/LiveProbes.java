package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.CandidateValidator;
import io.somnus.engine.sleep.FactQuestions;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.ProbeSet;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the experiments measure on a live model, apart from what the sleep itself checks: chat and raw recall of the taught
 * facts with their canonical questions, perplexity over reference texts no sleep rehearses or validates on, and chat
 * recall of a fixed sample of facts the model learned in pretraining, against the world's truth.
 */
final class LiveProbes {
  static final int RECALL_TOKENS = 16;

  /**
   * Known facts {@link #knownRecall} asks: the world's own, none of them a fixed rehearsal prompt or a behaviour probe of
   * the product's sleep (a sleep may still rehearse some as neighbours of what it teaches). A fixed sample, the same in
   * every experiment and seed, so that figures compare.
   */
  static final int KNOWN_SAMPLE = 100;

  /** Reference texts of the perplexity measure, after the key statistics' texts. */
  static final int PERPLEXITY_TEXTS = 20;

  private final CandidateValidator meter;
  private final List<Fact> knownSample;
  private final FactRecall knownRecall;

  LiveProbes(Models models, Profile profile) {
    SyntheticWorld world = models.world();
    List<List<ChatMessage>> behaviour = new ArrayList<>();
    behaviour.add(List.of(ChatMessage.user(SyntheticWorld.IDENTITY_QUESTION)));
    for (WorldFact k : world.sampleKnown(12, 5)) behaviour.add(List.of(ChatMessage.user(k.question())));
    ProbeSet probes = new ProbeSet(models.heldOutTexts(profile, PERPLEXITY_TEXTS), behaviour, 16);
    this.meter = new CandidateValidator(profile.validation(), probes, new FactRecall(heldOutQuestions(world), RECALL_TOKENS));
    List<List<ChatMessage>> asked = new ArrayList<>(behaviour);
    asked.addAll(rehearsedPrompts(world, behaviour));
    Map<String, WorldFact> knownById = new LinkedHashMap<>();
    for (WorldFact k : knownSample(world, asked)) knownById.put(k.fact().id(), k);
    this.knownSample = knownById.values().stream().map(WorldFact::fact).toList();
    this.knownRecall = new FactRecall(f -> questionsOf(knownById.get(f.id())), RECALL_TOKENS);
  }

  /**
   * The fixed prompts a sleep rehearses (as the product's steps choose them, {@code LocalStepSettings.forWorld}), kept
   * out of the known sample as in every earlier run of the suite.
   */
  static List<List<ChatMessage>> rehearsedPrompts(SyntheticWorld world, List<List<ChatMessage>> behaviour) {
    List<List<ChatMessage>> out = new ArrayList<>();
    out.add(List.of(ChatMessage.user("What is your name?")));
    out.add(List.of(ChatMessage.user("Tell me about yourself.")));
    for (WorldFact k : world.sampleKnown(200, 17)) {
      List<ChatMessage> p = List.of(ChatMessage.user(k.question()));
      if (!behaviour.contains(p) && out.size() < 121) out.add(p);
    }
    return out;
  }

  /** {@link #KNOWN_SAMPLE} known facts, in a fixed random order, whose question is none of {@code asked}. */
  static List<WorldFact> knownSample(SyntheticWorld world, List<List<ChatMessage>> asked) {
    Set<List<ChatMessage>> skip = new HashSet<>(asked);
    List<WorldFact> out = new ArrayList<>();
    for (WorldFact k : world.sampleKnown(world.knownFacts().size(), 29)) {
      if (out.size() == KNOWN_SAMPLE) break;
      if (!skip.contains(List.of(ChatMessage.user(k.question())))) out.add(k);
    }
    return out;
  }

  /** The chat questions of the world's held-out facts, the pool every experiment teaches from. */
  static FactQuestions heldOutQuestions(SyntheticWorld world) {
    Map<String, WorldFact> byId = new LinkedHashMap<>();
    for (WorldFact w : world.heldOutFacts()) byId.put(w.fact().id(), w);
    return f -> questionsOf(byId.get(f.id()));
  }

  static List<String> questionsOf(WorldFact w) {
    if (w == null) throw new IllegalArgumentException("fact is not part of the synthetic world's pool");
    List<String> out = new ArrayList<>();
    out.add(w.question());
    for (String p : SyntheticWorld.paraphrases(w)) if (p.endsWith("?")) out.add(p);
    return out;
  }

  /** Chat and raw recall of {@code facts}, perplexity and behaviour answers of {@code rt}. */
  Measurement measure(ModelRuntime rt, List<Fact> facts) {
    return meter.measure(rt, facts);
  }

  /**
   * Chat recall of the {@link #KNOWN_SAMPLE} known facts on {@code rt}: what sleeps and wake writes cost the rest of
   * its knowledge. A sleep's behaviour probe guards a dozen such answers against the live model; this counts wrong
   * answers against the world's truth, and so adds up over sleeps.
   */
  double knownRecall(ModelRuntime rt) {
    return FactRecall.rate(knownRecall.chatAll(rt, knownSample));
  }
}
