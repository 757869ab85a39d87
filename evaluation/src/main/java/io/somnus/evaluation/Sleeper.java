package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.sleep.CandidateValidator;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactQuestions;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.ProbeSet;
import io.somnus.engine.sleep.ReplaySet;
import io.somnus.engine.sleep.SleepCycle;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LoRA sleep set up for somnus-tiny's world, as the engine's own consolidation command does:
 * chat questions from the world's relations, validation probes (reference text, identity and known
 * facts), rehearsal material disjoint from the probes, LoRA seeded per experiment seed. Holds the
 * live {@link MemoryState} and its {@link ComposedModel} across cycles.
 */
final class Sleeper implements AutoCloseable {
  static final int RECALL_TOKENS = 16;
  /** Disjoint sets of {@link ReplaySet#TEXTS_PER_SLEEP} rehearsal texts the sleeps rotate through. */
  static final int REPLAY_WINDOWS = 12;

  /**
   * Known facts {@link #knownRecall} asks: the world's own, none of them a fixed rehearsal prompt or a behaviour probe
   * (a sleep may still rehearse some as neighbours of what it teaches). A fixed sample, the same in every experiment
   * and seed, so that figures compare.
   */
  static final int KNOWN_SAMPLE = 100;

  private final SleepCycle.Settings settings;
  private final CandidateValidator meter;
  private final List<Fact> knownSample;
  private final FactRecall knownRecall;
  private MemoryState state;
  private ComposedModel live;
  private int sleeps;
  private final CheckTrace trace;

  Sleeper(Models models, Profile profile, long seed, Path versionsDir, MemoryState initial) {
    this(models, profile, seed, versionsDir, initial, null);
  }

  /** @param trace where each sleep's recall checks go; null for none */
  Sleeper(Models models, Profile profile, long seed, Path versionsDir, MemoryState initial, CheckTrace trace) {
    this.trace = trace;
    SyntheticWorld world = models.world();
    FactQuestions questions = heldOutQuestions(world);
    // Rehearsal texts and the validator's perplexity texts both lie outside MEMIT's key statistics, and apart.
    List<String> refs = models.heldOutTexts(profile, 20 + ReplaySet.TEXTS_PER_SLEEP * REPLAY_WINDOWS);
    List<List<ChatMessage>> behaviour = new ArrayList<>();
    behaviour.add(List.of(ChatMessage.user(SyntheticWorld.IDENTITY_QUESTION)));
    for (WorldFact k : world.sampleKnown(12, 5)) behaviour.add(List.of(ChatMessage.user(k.question())));
    ProbeSet probes = new ProbeSet(refs.subList(0, 20), behaviour, 16);
    List<List<ChatMessage>> replayPrompts = new ArrayList<>();
    replayPrompts.add(List.of(ChatMessage.user("What is your name?")));
    replayPrompts.add(List.of(ChatMessage.user("Tell me about yourself.")));
    for (WorldFact k : world.sampleKnown(200, 17)) {
      List<ChatMessage> p = List.of(ChatMessage.user(k.question()));
      if (!behaviour.contains(p) && replayPrompts.size() < 121) replayPrompts.add(p);
    }
    List<List<ChatMessage>> asked = new ArrayList<>(behaviour);
    asked.addAll(replayPrompts);
    Map<String, WorldFact> knownById = new LinkedHashMap<>();
    for (WorldFact k : knownSample(world, asked)) knownById.put(k.fact().id(), k);
    this.knownSample = knownById.values().stream().map(WorldFact::fact).toList();
    this.knownRecall = new FactRecall(f -> questionsOf(knownById.get(f.id())), RECALL_TOKENS);
    ReplaySet replay = new ReplaySet(replayPrompts, refs.subList(20, refs.size()), 24)
        .withNeighbours(neighbourPool(world, behaviour), ReplaySet.NEIGHBOURS_PER_FACT);
    LoraConfig lora = LoraConfig.defaults().withSeed(seed);
    try {
      Files.createDirectories(versionsDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + versionsDir, e);
    }
    this.settings = new SleepCycle.Settings(lora, profile.validation(), probes, replay, questions, RECALL_TOKENS, true,
        versionsDir, Device.cpu(), SleepCycle.Settings.RETRIES_ON_REFUSAL);
    this.meter = new CandidateValidator(settings.validation(), probes, new FactRecall(questions, RECALL_TOKENS));
    this.state = initial;
    this.live = initial.load(Device.cpu());
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

  /** Every known fact's question that the behaviour probe does not ask. */
  static List<List<ChatMessage>> neighbourPool(SyntheticWorld world, List<List<ChatMessage>> behaviour) {
    List<List<ChatMessage>> out = new ArrayList<>();
    for (WorldFact k : world.knownFacts()) {
      List<ChatMessage> p = List.of(ChatMessage.user(k.question()));
      if (!behaviour.contains(p)) out.add(p);
    }
    return out;
  }

  /** A state on the base checkpoint holding one edit. */
  static MemoryState initial(Path base, MemitEdit edit) {
    return new MemoryState(base, 0, List.of(edit), FactStageTable.of(List.of(edit)));
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

  /** A sleep on the live state with other settings; nothing is promoted, the outcome is the caller's to close. */
  SleepCycle.Outcome trial(java.util.function.UnaryOperator<SleepCycle.Settings> tweak) {
    return new SleepCycle(tweak.apply(settingsForNextSleep())).run(state, live.runtime(), null);
  }

  /** One sleep on the live state; the live model is replaced when the candidate is promoted. */
  SleepCycle.Outcome sleep() {
    // Each sleep draws its own LoRA seed, as a user retrying a rejected sleep would: with one seed for all, a
    // rejected sleep on an unchanged state repeats exactly.
    // Its rehearsal texts are fresh too: re-training on the same ten texts every sleep memorises them, and that
    // alone raised reference perplexity 13-24 % in a second sleep (4 % with new texts; somnus-tiny, N = 5).
    SleepCycle.Settings s = settingsForNextSleep();
    sleeps++;
    if (trace != null) trace.sleep("sleep " + sleeps);
    SleepCycle.Outcome out = new SleepCycle(s).run(state, live.runtime(), trace);
    if (out.promoted() != null) {
      live.close();
      live = out.promoted();
      state = out.state();
    }
    return out;
  }

  /** The settings {@link #sleep} will use next: its own LoRA seed and the next window of rehearsal texts. */
  SleepCycle.Settings settingsForNextSleep() {
    return settings.withLora(settings.lora().withSeed(settings.lora().seed() * 1000 + sleeps + 1))
        .withReplay(settings.replay().window(sleeps, ReplaySet.TEXTS_PER_SLEEP));
  }

  ProbeSet probes() {
    return settings.probes();
  }

  /** Replaces the live state, e.g. by what a wake write made of it, and reloads the live model. */
  void replaceState(MemoryState next) {
    state = next;
    live.close();
    live = state.load(Device.cpu());
  }

  Measurement measure(List<Fact> facts) {
    return meter.measure(live.runtime(), facts);
  }

  /**
   * Chat recall, on the live model, of {@link #KNOWN_SAMPLE} facts the model learned in pretraining: what sleeps and
   * wake writes cost the rest of its knowledge. The behaviour probe guards a dozen such answers per sleep against the
   * live model; this counts wrong answers against the world's truth, and so adds up over sleeps.
   */
  double knownRecall() {
    return FactRecall.rate(knownRecall.chatAll(live.runtime(), knownSample));
  }

  MemoryState state() {
    return state;
  }

  ComposedModel live() {
    return live;
  }

  @Override
  public void close() {
    live.close();
    if (trace != null) trace.close();
  }
}
