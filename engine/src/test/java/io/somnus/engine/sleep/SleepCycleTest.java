package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole sleeps on a random model. Its MEMIT edits are random low-rank changes of a lower layer's
 * down_proj (the model does not recall the facts through them), so every fact the gate passes was
 * carried by the fused LoRA alone.
 */
class SleepCycleTest {
  @TempDir static Path dir;
  static Path base;


  static MemitEdit randomEdit(String id, List<Fact> facts, long seed) {
    return randomEdit(id, facts, seed, 0.05);
  }

  static MemitEdit randomEdit(String id, List<Fact> facts, long seed, double std) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] u = new float[64 * 2];
    float[] v = new float[128 * 2];
    for (int i = 0; i < u.length; i++) u[i] = (float) (r.nextGaussian() * std);
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
    return new MemitEdit(id, facts, List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 64, 128, 2, u, v)));
  }

  static SleepCycle.Settings settings(Path versions, float lr) {
    // A random model has no behaviour worth keeping (LoRA on chat answers rightly changes what it
    // says to anything), so no behaviour prompts; its perplexity is fragile, so the bound only
    // catches wreckage. The evaluation's consolidation sweep checks both for real on somnus-tiny.
    ProbeSet probes = new ProbeSet(List.of("The river was calm and bright.", "Who are you? I am a small model."), List.of(), 8);
    ValidationConfig v = new ValidationConfig(0.5, 1.0, true, false);
    LoraConfig lora = LoraConfig.defaults().withLearningRate(lr).withSteps(60, 0).withDropout(0f);
    return new SleepCycle.Settings(lora, v, probes, ReplaySet.none(), SleepFixtures.QUESTIONS, 16, true, versions, Device.cpu(), 0);
  }

  static Map<String, float[]> snapshot(LlamaModel m) {
    Map<String, float[]> out = new LinkedHashMap<>();
    m.weights().forEach((n, w) -> out.put(n, w.toFloatArray()));
    return out;
  }

  static void assertSameWeights(Map<String, float[]> expected, LlamaModel actual) {
    assertEquals(expected.keySet(), actual.weights().keySet());
    actual.weights().forEach((n, w) -> assertArrayEquals(expected.get(n), w.toFloatArray(), n));
  }

  /** The good sleep all tests start from: two facts taught by LoRA on top of a random model. */
  static final List<Fact> TAUGHT = SleepFixtures.FACTS.subList(0, 2);
  static MemoryState initial;
  static SleepCycle.Outcome first;
  static Map<String, float[]> liveBefore;
  static Map<String, float[]> liveAfter;
  static final List<String> steps = new java.util.ArrayList<>();

  @BeforeAll
  static void firstSleep() throws Exception {
    base = SleepFixtures.checkpoint(dir, 31);
    MemitEdit edit = randomEdit("e1", TAUGHT, 1);
    initial = new MemoryState(base, 0, List.of(edit), FactStageTable.of(List.of(edit)));
    try (ComposedModel live = initial.load(Device.cpu())) {
      liveBefore = snapshot(live.model());
      first = new SleepCycle(settings(dir.resolve("versions"), 1e-2f)).run(initial, live.runtime(), new SleepCycle.Listener() {
        public void step(String name) {
          steps.add(name);
        }
      });
      liveAfter = snapshot(live.model());
    }
  }

  @AfterAll
  static void closeFirst() {
    first.close();
  }

  @Test
  void aSleepAdvancesRecalledFactsAndPromotesACandidateWithoutTouchingTheLiveModel() {
    SleepReport r = first.report();
    assertEquals(SleepReport.Status.PROMOTED, r.status(), r.reason());
    assertEquals(List.of("audit", "train", "fuse", "gate", "validate", "promote"), steps);
    assertEquals(steps, List.copyOf(r.seconds().keySet()));
    assertEquals(0.0, r.audit().chatRecall(), "a random model cannot know the facts before");
    assertEquals(2, r.advanced());
    for (Fact f : TAUGHT) assertEquals(FactStage.CONSOLIDATING, first.state().stages().stage(f));
    assertEquals(Map.of("e1", 0.5f), first.state().scales());
    assertEquals(List.of(), r.keptScale(), "the random edit carries no answer, so halving it loses none");
    assertEquals(0.5f, first.promoted().scale("e1"));
    assertEquals(1.0, r.validation().chatRecallAfter());
    assertEquals(1, first.state().generation());
    assertTrue(Files.isRegularFile(first.state().fusedCheckpoint().resolve(Checkpoint.SINGLE)));
    assertEquals(base, initial.fusedCheckpoint(), "the old version stays where it was");
    liveBefore.forEach((n, w) -> assertArrayEquals(w, liveAfter.get(n), n + " of the live model changed"));
  }

  @Test
  void thePromotedModelLoadedFromDiskInAFreshModelIsIdentical() {
    FactRecall recall = new FactRecall(SleepFixtures.QUESTIONS, 16);
    Map<String, float[]> promoted = snapshot(first.promoted().model());
    try (ComposedModel reloaded = first.state().load(Device.cpu())) {
      assertSameWeights(promoted, reloaded.model());
      for (Fact f : TAUGHT) {
        assertTrue(recall.chat(reloaded.runtime(), f), "recalled after restart: " + f);
        assertEquals(recall.raw(first.promoted().runtime(), f), recall.raw(reloaded.runtime(), f));
      }
    }
  }

  @Test
  void aSleepRehearsesWhatItsFusedWeightsAnswerNotWhatTheWakesEditsMadeOfIt() throws Exception {
    // A loud edit moves the random model's answers, as a wake write moves some answers it was not meant to touch.
    MemitEdit loud = randomEdit("loud", TAUGHT, 7, 1.0);
    MemoryState state = new MemoryState(base, 0, List.of(loud), FactStageTable.of(List.of(loud)));
    String aboutTaught = SleepFixtures.QUESTIONS.canonical(TAUGHT.get(0));
    ReplaySet replay = new ReplaySet(List.of(List.of(ChatMessage.user("Who are you?")),
        List.of(ChatMessage.user("Where is the river?")), List.of(ChatMessage.user(aboutTaught))), List.of(), 8);
    try (ComposedModel live = state.load(Device.cpu());
        ComposedModel fusedOnly = ComposedModel.load(base, List.of(), Map.of(), Device.cpu())) {
      List<QaExample> got = SleepTraining.rehearsal(replay, state, Checkpoint.load(base), TAUGHT, SleepFixtures.QUESTIONS,
          Device.cpu());
      List<QaExample> fromFused = replay.examples(fusedOnly.runtime(), TAUGHT, SleepFixtures.QUESTIONS);
      List<QaExample> fromLive = replay.examples(live.runtime(), TAUGHT, SleepFixtures.QUESTIONS);
      assertEquals(2, got.size(), "the prompt about a taught subject is not rehearsed");
      assertNotEquals(tokens(fromFused), tokens(fromLive), "precondition: the edit changes what the model answers");
      assertEquals(tokens(fromFused), tokens(got));
    }
  }

  @Test
  void validationTakesBackTheAnswersFromBeforeTheEditsButNotNewOnes() throws Exception {
    MemoryState edited = new MemoryState(base, 0, List.of(randomEdit("loud", TAUGHT, 7, 1.0)),
        FactStageTable.of(List.of(randomEdit("loud", TAUGHT, 7, 1.0))));
    MemoryState elsewhere = new MemoryState(base, 0, List.of(randomEdit("other", TAUGHT, 8, 1.0)),
        FactStageTable.of(List.of(randomEdit("other", TAUGHT, 8, 1.0))));
    ProbeSet probes = new ProbeSet(List.of("The river was calm and bright."),
        List.of(List.of(ChatMessage.user("Who are you?")), List.of(ChatMessage.user("Where is the river?"))), 8);
    CandidateValidator v = new CandidateValidator(new ValidationConfig(10.0, 0.1, true, false), probes,
        new FactRecall(SleepFixtures.QUESTIONS, 16));
    try (ComposedModel live = edited.load(Device.cpu());
        ComposedModel plain = ComposedModel.load(base, List.of(), Map.of(), Device.cpu());
        ComposedModel other = elsewhere.load(Device.cpu())) {
      Measurement atLive = v.measure(live.runtime(), List.of());
      Measurement beforeEdits = v.measureBehaviour(plain.runtime());
      // The candidate that answers exactly as the model did before the edit: refused against the live model alone.
      ValidationReport liveOnly = v.validate(atLive, plain.runtime(), List.of());
      assertFalse(liveOnly.passed(), "precondition: the edit moved the answers (shift " + liveOnly.behaviourShift() + ")");
      ValidationReport back = v.validate(atLive, beforeEdits, plain.runtime(), List.of());
      assertTrue(back.passed(), back.reasons().toString());
      assertTrue(back.behaviourShift() <= 1e-6, "shift " + back.behaviourShift());
      assertEquals(0, back.behaviourChanged());
      // A candidate that says something else than both is still refused.
      ValidationReport moved = v.validate(atLive, beforeEdits, other.runtime(), List.of());
      assertFalse(moved.passed(), "shift " + moved.behaviourShift());
      assertTrue(moved.behaviourChanged() > 0);
    }
  }

  @Test
  void validationTradesALostAnswerOnlyForEnoughRecoveredOnes() {
    List<Fact> facts = List.of(TAUGHT.get(0), TAUGHT.get(1), SleepFixtures.FACTS.get(2));
    ProbeSet probes = new ProbeSet(List.of("The river was calm and bright."), List.of(), 8);
    FactRecall recall = new FactRecall(SleepFixtures.QUESTIONS, 16);
    ModelRuntime candidate = first.promoted().runtime();
    Measurement now = new CandidateValidator(new ValidationConfig(0.5, 1.0, true, false), probes, recall).measure(candidate, facts);
    assertEquals(Map.of(facts.get(0).id(), true, facts.get(1).id(), true, facts.get(2).id(), false), now.chat(),
        "precondition: the candidate recalls the two taught facts in chat and not the third");
    // A live model that recalled only the third: the candidate loses one answer and gives back two.
    Map<String, Boolean> liveChat = Map.of(facts.get(0).id(), false, facts.get(1).id(), false, facts.get(2).id(), true);
    Measurement live = new Measurement(liveChat, now.raw(), now.perplexity(), now.behaviourAnswers(), now.behaviourLogProb(), 0);
    for (int perLoss : new int[] {0, 1, 2, 3}) {
      ValidationReport r = new CandidateValidator(new ValidationConfig(0.5, 1.0, true, false, perLoss), probes, recall)
          .validate(live, candidate, facts);
      assertEquals(List.of(facts.get(2)), r.lostInChat());
      assertEquals(TAUGHT, r.recoveredInChat());
      assertEquals(perLoss == 1 || perLoss == 2, r.passed(), perLoss + " per loss: " + r.reasons());
      if (!r.passed()) assertTrue(r.reasons().get(0).startsWith("1 fact(s) recalled in chat before are lost"), r.reasons().toString());
    }
  }

  private static List<List<Long>> tokens(List<QaExample> examples) {
    return examples.stream().map(e -> java.util.Arrays.stream(e.tokens()).boxed().toList()).toList();
  }

  @Test
  void aSleepWhoseFactsTheFusedWeightsAlreadyCarryTrainsNothingAndStillAdvancesThem() throws Exception {
    MemoryState state = first.state();
    try (LlamaModel fused = SleepFixtures.model(state.fusedCheckpoint());
        io.somnus.engine.model.TextTokenizer tok = SleepFixtures.tokenizer(state.fusedCheckpoint())) {
      assertEquals(0, LoraTrainer.unrecalled(fused, Map.of(), tok, QaDataset.build(tok, TAUGHT, SleepFixtures.QUESTIONS, true)),
          "the first sleep's fused weights recall every taught example");
    }
    SleepCycle.Settings s = settings(dir.resolve("versions-carried"), 1e-2f);
    try (SleepCycle.Outcome out = new SleepCycle(s).run(state, first.promoted().runtime(), null)) {
      SleepReport r = out.report();
      assertEquals(SleepReport.Status.PROMOTED, r.status(), r.reason());
      assertEquals(0, r.trainingSteps(), "nothing left to learn");
      for (Fact f : TAUGHT) assertEquals(FactStage.NEARLY_CONSOLIDATED, out.state().stages().stage(f));
      assertEquals(Map.of("e1", 0.1f), out.state().scales());
      try (LlamaModel parent = SleepFixtures.model(state.fusedCheckpoint());
          LlamaModel next = SleepFixtures.model(out.state().fusedCheckpoint())) {
        assertSameWeights(snapshot(parent), next);
      }
    }
  }

  @Test
  void aRefusedCandidateIsTrainedAgainAndTheSleepRollsBackOnlyWhenEveryAttemptIsRefused() throws Exception {
    // Bounds of zero refuse any candidate that moves perplexity or the live model's own answers at all.
    ProbeSet probes = new ProbeSet(List.of("The river was calm and bright."),
        List.of(List.of(ChatMessage.user("Who are you?"))), 8);
    Path versions = dir.resolve("versions-refused");
    SleepCycle.Settings s = new SleepCycle.Settings(settings(versions, 1e-2f).lora(), new ValidationConfig(0, 0, true, false),
        probes, ReplaySet.none(), SleepFixtures.QUESTIONS, 16, true, versions, Device.cpu(), 1);
    List<String> seen = new ArrayList<>();
    try (ComposedModel live = initial.load(Device.cpu())) {
      Map<String, float[]> before = snapshot(live.model());
      try (SleepCycle.Outcome out = new SleepCycle(s).run(initial, live.runtime(), seen::add)) {
        SleepReport r = out.report();
        assertEquals(SleepReport.Status.ROLLED_BACK, r.status(), r.reason());
        assertEquals(List.of("audit", "train", "fuse", "gate", "validate", "train", "fuse", "gate", "validate"), seen);
        assertEquals(2, r.attempts());
        assertEquals(1, r.refusedAttempts().size());
        assertFalse(r.refusedAttempts().get(0).isBlank());
        assertFalse(r.reason().isBlank());
        assertTrue(r.trainingSteps() > 0, "the second attempt trained too");
        assertEquals(List.of("audit", "train", "fuse", "gate", "validate"), List.copyOf(r.seconds().keySet()),
            "the step times add up both attempts");
        assertSame(initial, out.state());
        assertNull(out.promoted());
      }
      assertFalse(Files.exists(versions), "nothing written for a refused sleep");
      assertSameWeights(before, live.model());
    }
    try (ComposedModel live = initial.load(Device.cpu());
        SleepCycle.Outcome once = new SleepCycle(s.withRetriesOnRefusal(0)).run(initial, live.runtime(), null)) {
      assertEquals(SleepReport.Status.ROLLED_BACK, once.report().status());
      assertEquals(1, once.report().attempts());
    }
  }

  @Test
  void aSleepWithAHundredTimesTheLearningRateNeverReachesTheLiveModel() {
    MemoryState state = first.state();
    ComposedModel live = first.promoted();
    Map<String, float[]> before = snapshot(live.model());
    SleepCycle.Settings bad = settings(dir.resolve("versions"), 3e-2f * 100);
    // The fused weights already recall both facts, so only a sleep told to train its whole budget trains at all.
    SleepCycle.Settings s = bad.withLora(bad.lora().withStopWhenRecalled(false));
    CandidateValidator probe = new CandidateValidator(s.validation(), s.probes(), new FactRecall(s.questions(), 16));
    Measurement measuredBefore = probe.measure(live.runtime(), TAUGHT);
    try (SleepCycle.Outcome out = new SleepCycle(s).run(state, live.runtime(), null)) {
      SleepReport r = out.report();
      assertTrue(r.status() == SleepReport.Status.ROLLED_BACK || r.status() == SleepReport.Status.FAILED,
          r.status() + " " + r.reason());
      assertFalse(r.reason().isBlank());
      assertSame(state, out.state());
      assertNull(out.promoted());
      assertFalse(Files.exists(dir.resolve("versions").resolve("fused-0002")));
    }
    assertSameWeights(before, live.model());
    Measurement measuredAfter = probe.measure(live.runtime(), TAUGHT);
    assertEquals(measuredBefore.chat(), measuredAfter.chat());
    assertEquals(measuredBefore.raw(), measuredAfter.raw());
    assertEquals(measuredBefore.perplexity(), measuredAfter.perplexity());
  }
}
