package io.somnus.activities.local;

import ai.djl.Device;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.sleep.FactQuestions;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.sleep.ProbeSet;
import io.somnus.engine.sleep.ReplaySet;
import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;

/**
 * How the model steps measure and train: the engine's sleep settings minus the per-run parts.
 *
 * @param recallTokens tokens generated per recall probe
 * @param keyStatisticsTexts reference texts of MEMIT's key statistics, for the null-space refresh
 * @param rawStatements also train "subject relation → object" so raw recall survives dissolution
 */
public record LocalStepSettings(LoraConfig lora, ValidationConfig validation, ProbeSet probes, ReplaySet replay,
    FactQuestions questions, int recallTokens, boolean rawStatements, List<String> keyStatisticsTexts, Device device) {

  public LocalStepSettings {
    Objects.requireNonNull(lora, "lora");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(probes, "probes");
    Objects.requireNonNull(replay, "replay");
    Objects.requireNonNull(questions, "questions");
    Objects.requireNonNull(device, "device");
    keyStatisticsTexts = List.copyOf(keyStatisticsTexts);
    if (keyStatisticsTexts.isEmpty()) throw new IllegalArgumentException("MEMIT's key statistics need reference texts");
  }

  /** These settings with another validation rule (a deployment's, from its configuration). */
  public LocalStepSettings withValidation(ValidationConfig rule) {
    return new LocalStepSettings(lora, rule, probes, replay, questions, recallTokens, rawStatements, keyStatisticsTexts, device);
  }

  /** Reference texts of MEMIT's key statistics: the wake's (somnus wake/chat), so both share one cached file. */
  public static final int KEY_STATISTICS_TEXTS = 300;

  /**
   * Settings for a somnus-tiny model built from {@code world}: reference texts and behaviour prompts
   * from its known facts (disjoint from the replay material), questions from the relation templates.
   */
  public static LocalStepSettings forWorld(SyntheticWorld world, Device device) {
    List<String> refs = world.referenceTexts(40 + ReplaySet.TEXTS_PER_SLEEP * 12);
    List<List<ChatMessage>> behaviour = new ArrayList<>();
    behaviour.add(List.of(new ChatMessage("user", SyntheticWorld.IDENTITY_QUESTION)));
    for (WorldFact k : world.sampleKnown(12, 5)) behaviour.add(List.of(new ChatMessage("user", k.question())));
    List<WorldFact> guard = knowledgeGuard(world, behaviour);
    Set<List<ChatMessage>> notRehearsed = new HashSet<>(behaviour);
    for (WorldFact k : guard) notRehearsed.add(List.of(new ChatMessage("user", k.question())));
    List<List<ChatMessage>> replayPrompts = new ArrayList<>();
    replayPrompts.add(List.of(new ChatMessage("user", "What is your name?")));
    // Rehearse many known facts: with few, the adapters that teach the new facts also rewrite the
    // answers about known people and the behaviour probe rejects the sleep.
    for (WorldFact k : world.sampleKnown(200, 17)) {
      List<ChatMessage> p = List.of(new ChatMessage("user", k.question()));
      if (!notRehearsed.contains(p) && replayPrompts.size() < 121) replayPrompts.add(p);
    }
    // The sleep also rehearses, per taught fact, the known questions nearest to it (ReplaySet#neighbours): never one
    // that validation asks, or it would only test what was rehearsed.
    List<List<ChatMessage>> neighbourPool = new ArrayList<>();
    for (WorldFact k : world.knownFacts()) {
      List<ChatMessage> p = List.of(new ChatMessage("user", k.question()));
      if (!notRehearsed.contains(p)) neighbourPool.add(p);
    }
    Map<String, String> guardQuestions = new HashMap<>();
    for (WorldFact k : guard) guardQuestions.put(k.fact().id(), k.question());
    ProbeSet probes = new ProbeSet(refs.subList(20, 40), behaviour, 16, guard.stream().map(WorldFact::fact).toList(),
        f -> List.of(guardQuestions.get(f.id())));
    return new LocalStepSettings(LoraConfig.defaults(), ValidationConfig.defaults(),
        probes, new ReplaySet(replayPrompts, refs.subList(40, refs.size()), 24)
            .withNeighbours(neighbourPool, ReplaySet.NEIGHBOURS_PER_FACT),
        LocalStepSettings::relationQuestions, 16, true, world.referenceTexts(KEY_STATISTICS_TEXTS), device);
  }

  /** Known facts validation's knowledge guard asks per relation, spread over first names (fewer in a small world). */
  static final int GUARDED_FACTS_PER_RELATION_CAP = 40;

  /** One known fact per relation for every this many people of the world, up to {@link #GUARDED_FACTS_PER_RELATION_CAP}. */
  static final int PEOPLE_PER_GUARDED_FACT = 6;

  static int knowledgeGuardPerRelation(SyntheticWorld world) {
    return Math.min(GUARDED_FACTS_PER_RELATION_CAP, world.settings().people() / PEOPLE_PER_GUARDED_FACT);
  }

  /**
   * The knowledge guard ({@link ProbeSet#knownFacts}): for each relation the world's people know, known facts of
   * people with as many different first names as there are (first names are what taught subjects share with known
   * people, and where a sleep's answers leak first), none of them a behaviour prompt; a fixed draw per world.
   */
  static List<WorldFact> knowledgeGuard(SyntheticWorld world, List<List<ChatMessage>> behaviour) {
    List<WorldFact> out = new ArrayList<>();
    for (Relation r : SyntheticWorld.CORPUS_RELATIONS) {
      Set<String> firstNames = new HashSet<>();
      List<WorldFact> picked = new ArrayList<>();
      List<WorldFact> sameName = new ArrayList<>();
      for (WorldFact k : world.sampleKnown(world.knownFacts().size(), 41)) {
        if (!k.relation().equals(r) || behaviour.contains(List.of(new ChatMessage("user", k.question())))) continue;
        if (firstNames.add(k.fact().subject().split(" ")[0])) picked.add(k);
        else sameName.add(k);
      }
      int wanted = knowledgeGuardPerRelation(world);
      for (WorldFact k : sameName) if (picked.size() < wanted) picked.add(k);
      out.addAll(picked.subList(0, Math.min(wanted, picked.size())));
    }
    return out;
  }

  /** Questions from the relation's own template; an unknown relation gets a question without the object. */
  static List<String> relationQuestions(io.somnus.engine.memory.Fact fact) {
    List<Relation> known = new ArrayList<>(SyntheticWorld.CORPUS_RELATIONS);
    known.addAll(SyntheticWorld.TEACHABLE_RELATIONS);
    for (Relation r : known) {
      if (r.phrase().equals(fact.relation())) return List.of(r.question(fact.subject()));
    }
    return List.of("Tell me: " + fact.subject() + " " + fact.relation() + " what?");
  }
}
