package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.train.TrainingDivergedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTrainerTest {
  @TempDir static Path dir;
  static Path checkpoint;
  static LlamaModel model;
  static TextTokenizer tok;

  @BeforeAll
  static void setUp() throws Exception {
    checkpoint = SleepFixtures.checkpoint(dir, 11);
    model = SleepFixtures.model(checkpoint);
    tok = SleepFixtures.tokenizer(checkpoint);
  }

  @AfterAll
  static void tearDown() {
    tok.close();
    model.close();
  }

  static LoraConfig fast() {
    return LoraConfig.defaults().withLearningRate(1e-2f).withSteps(60, 0).withDropout(0f).withStopWhenRecalled(false);
  }

  @Test
  void trainingLowersAnswerLossAndMakesTheTaughtAnswerTheGreedyReply() {
    List<Fact> facts = SleepFixtures.FACTS.subList(0, 2);
    List<QaExample> examples = QaDataset.build(tok, facts, SleepFixtures.QUESTIONS, true);
    double before = LoraTrainer.answerLoss(model, Map.of(), examples);
    Map<String, float[]> weightsBefore = new java.util.HashMap<>();
    model.weights().forEach((n, w) -> weightsBefore.put(n, w.toFloatArray()));
    List<Integer> heartbeats = new ArrayList<>();
    List<Double> heardLosses = new ArrayList<>();
    LoraTrainer.Result r = LoraTrainer.train(model, tok, examples, examples, List.of(), facts.size(), fast(), (step, total, loss) -> {
      heartbeats.add(step);
      heardLosses.add(loss);
    });
    try (TrainedAdapters a = r.adapters()) {
      double after = LoraTrainer.answerLoss(model, a.adapters(), examples);
      // A random model's tied embeddings cap how confident it can get, so the floor is well above 0.
      assertTrue(after < 0.4 * before, "answer loss " + before + " → " + after);
      assertEquals(r.steps(), heartbeats.size());
      assertArrayEquals(r.losses(), heardLosses.stream().mapToDouble(Double::doubleValue).toArray(), 0,
          "the listener sees every step's loss");
      for (Fact f : facts) {
        String q = SleepFixtures.QUESTIONS.canonical(f);
        assertFalse(SleepFixtures.greedyChat(model, tok, Map.of(), q, 16).contains(f.object()), "untrained model already knows " + f);
        String answer = SleepFixtures.greedyChat(model, tok, a.adapters(), q, 16);
        assertTrue(answer.contains(f.object()), q + " → " + answer);
      }
      // Default targets: every projection of every layer.
      List<String> expected = new ArrayList<>();
      for (int l = 0; l < model.config().numLayers(); l++) {
        for (String p : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")) expected.add("model.layers." + l + "." + p + ".weight");
      }
      assertEquals(expected, a.targets());
    }
    model.weights().forEach((n, w) -> assertArrayEquals(weightsBefore.get(n), w.toFloatArray(), n + " changed"));
  }

  /** Distilling the rehearsal keeps the student's whole distribution on rehearsed text nearer the teacher's. */
  @Test
  void distillationKeepsTheRehearsalsDistributionNearerTheTeachersThanAnswersAlone() {
    List<Fact> facts = SleepFixtures.FACTS.subList(0, 2);
    List<QaExample> examples = QaDataset.build(tok, facts, SleepFixtures.QUESTIONS, true);
    List<QaExample> rehearsal = List.of(
        QaDataset.textExample(tok, "Mara lives in Lisbon and Ana lives in Porto. Both of them like the sea very much."),
        QaDataset.textExample(tok, "The old town is quiet in the morning, and the market opens at nine."),
        QaDataset.textExample(tok, "Ivo plays the cello on Sundays; his sister sings in a choir."));
    List<SoftTargets> teacher = SoftTargets.of(model, rehearsal, 16);
    double[] divergence = new double[2];
    for (int run = 0; run < 2; run++) {
      LoraConfig config = fast().withSteps(80, 0).withDistillation(run == 0 ? 0f : 2f, 16);
      LoraTrainer.Result r = LoraTrainer.train(model, LoraTrainer.Conditions.none(), tok, examples, examples, rehearsal, teacher,
          facts.size(), config, ValidationConfig.defaults(), null);
      try (TrainedAdapters a = r.adapters(); ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
        LoraTrainer.Batch b = LoraTrainer.Batch.of(rehearsal);
        var logits = model.forward(m, b.inputs(), io.somnus.engine.model.ForwardHooks.none().adapters(a.adapters()), null).logits();
        divergence[run] = SoftTargets.divergence(m, logits.logSoftmax(-1), teacher).getFloat();
      }
    }
    assertTrue(divergence[1] < 0.8 * divergence[0],
        "KL to the teacher on rehearsed text: answers only " + divergence[0] + ", distilled " + divergence[1]);
  }

  @Test
  void trainingInSeveralWeightStatesLearnsTheFactsInEachAndHandsTheModelBackInTheFirst() {
    List<Fact> facts = SleepFixtures.FACTS.subList(0, 2);
    List<QaExample> examples = QaDataset.build(tok, facts, SleepFixtures.QUESTIONS, true);
    // State 1 perturbs one MLP weight, as a MEMIT edit does; state 0 is the model as handed over.
    String name = LlamaModel.layerWeight(0, "mlp.down_proj.weight");
    float[] original = model.weight(name).toFloatArray();
    long[] shape = model.weight(name).getShape().getShape();
    float[] perturbed = original.clone();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int i = 0; i < perturbed.length; i++) perturbed[i] += (float) (rng.nextGaussian() * 0.05);
    int[] applied = new int[2];
    LoraTrainer.Conditions states = new LoraTrainer.Conditions() {
      @Override
      public int count() {
        return 2;
      }

      @Override
      public void apply(int index) {
        applied[index]++;
        try (ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
          model.setWeight(name, m.create(index == 0 ? original : perturbed, new ai.djl.ndarray.types.Shape(shape)));
        }
      }
    };
    LoraConfig untilRecalled = fast().withSteps(600, 0).withStopWhenRecalled(true);
    LoraTrainer.Result r = LoraTrainer.train(model, states, tok, examples, examples, List.of(), facts.size(), untilRecalled,
        ValidationConfig.defaults(), null);
    try (TrainedAdapters a = r.adapters()) {
      assertTrue(applied[0] > 1 && applied[1] > 1, "states applied " + java.util.Arrays.toString(applied));
      assertArrayEquals(original, model.weight(name).toFloatArray(), 0f, "the model is handed back in state 0");
      assertEquals(0, r.unrecalled(), "stopped after " + r.steps() + " of " + r.budget() + " steps");
      assertEquals(0, LoraTrainer.unrecalled(model, a.adapters(), tok, examples), "state 0 recalls");
      states.apply(1);
      try {
        assertEquals(0, LoraTrainer.unrecalled(model, a.adapters(), tok, examples), "state 1 recalls");
      } finally {
        states.apply(0);
      }
    }
  }

  @Test
  void aTrainingBatchWeighsEveryExampleTheSameWhateverItsLength() {
    QaExample shortAnswer = QaDataset.build(tok, SleepFixtures.FACTS.subList(0, 1), SleepFixtures.QUESTIONS, false).get(0);
    QaExample longText = QaDataset.textExample(tok, "Mara lives in Lisbon and Ana lives in Porto. Both of them like the sea very much.");
    assertTrue(longText.length() - longText.answerStart() > 2 * (shortAnswer.length() - shortAnswer.answerStart()));
    LoraTrainer.Batch equal = LoraTrainer.Batch.of(List.of(shortAnswer, longText), true);
    LoraTrainer.Batch perToken = LoraTrainer.Batch.of(List.of(shortAnswer, longText), false);
    for (int b = 0; b < 2; b++) {
      double sum = 0;
      for (float w : equal.weights()[b]) sum += w;
      assertEquals(1.0, sum, 1e-5, "example " + b);
    }
    double tokens = 0;
    for (float w : perToken.weights()[1]) tokens += w;
    assertEquals(longText.length() - longText.answerStart(), tokens, 1e-6, "per token: one per answer token");
  }

  @Test
  void trainingStopsOnceEveryFactExampleIsRecalledGreedily() {
    List<Fact> facts = SleepFixtures.FACTS.subList(0, 2);
    List<QaExample> examples = QaDataset.build(tok, facts, SleepFixtures.QUESTIONS, true);
    List<QaExample> rehearsal = List.of(QaDataset.textExample(tok, "Mara lives in Lisbon and Ana lives in Porto."));
    assertEquals(examples.size(), LoraTrainer.unrecalled(model, Map.of(), tok, examples), "the untrained model recalls nothing");
    LoraConfig untilRecalled = fast().withSteps(400, 0).withStopWhenRecalled(true);
    List<LoraTrainer.RecallCheck> checks = new ArrayList<>();
    List<Integer> returned = new ArrayList<>();
    LoraTrainer.Listener trace = new LoraTrainer.Listener() {
      @Override
      public void onStep(int step, int totalSteps, double loss) {}

      @Override
      public void onCheck(LoraTrainer.RecallCheck check) {
        checks.add(check);
      }

      @Override
      public void onReturn(int step) {
        returned.add(step);
      }
    };
    LoraTrainer.Result r = LoraTrainer.train(model, tok, examples, examples, rehearsal, facts.size(), untilRecalled, trace);
    try (TrainedAdapters a = r.adapters()) {
      assertTrue(r.stoppedEarly(), "trained the whole budget of " + r.budget() + ", " + r.unrecalled() + " not recalled");
      assertTrue(r.steps() > 0 && r.steps() % LoraConfig.CHECK_EVERY == 0, "stopped at step " + r.steps());
      assertEquals(r.steps(), r.losses().length);
      assertEquals(0, r.unrecalled());
      // One check every CHECK_EVERY steps from step 0 to the one that recalled everything.
      assertEquals(r.steps() / LoraConfig.CHECK_EVERY + 1, checks.size());
      LoraTrainer.RecallCheck first = checks.get(0);
      assertEquals(0, first.step());
      assertEquals(examples.size(), first.checks());
      assertEquals(examples.size(), first.misses().size(), "the untrained model misses every check");
      assertEquals(0, first.lost(), "nothing is lost before the first step");
      for (LoraTrainer.Miss m : first.misses()) {
        assertFalse(m.answer().contains(m.key()), "a miss's answer does not state its key: " + m);
      }
      assertTrue(first.misses().stream().anyMatch(m -> m.key().equals("Lisbon")), first.misses().toString());
      assertEquals(r.steps(), checks.get(checks.size() - 1).step());
      assertTrue(checks.get(checks.size() - 1).misses().isEmpty());
      assertEquals(List.of(r.steps()), returned, "the adapters of the step that recalled everything");
      assertEquals(r.steps(), r.keptStep(), "the result names the step its adapters are from");
      assertEquals(0, LoraTrainer.unrecalled(model, a.adapters(), tok, examples));
      for (Fact f : facts) {
        String answer = SleepFixtures.greedyChat(model, tok, a.adapters(), SleepFixtures.QUESTIONS.canonical(f), 16);
        assertTrue(answer.contains(f.object()), answer);
      }
    }
  }

  @Test
  void promptsDecodedSideBySideGetTheAnswersTheyGetAlone() {
    List<QaExample> examples = QaDataset.build(tok, SleepFixtures.FACTS, SleepFixtures.QUESTIONS, true);
    long lengths = examples.stream().mapToInt(QaExample::answerStart).distinct().count();
    assertTrue(lengths > 1 && lengths < examples.size(), "precondition: prompts of shared and of different lengths, "
        + lengths + " lengths among " + examples.size());
    String[] together = LoraTrainer.answers(model, Map.of(), tok, examples);
    for (int i = 0; i < examples.size(); i++) {
      String alone = LoraTrainer.answers(model, Map.of(), tok, List.of(examples.get(i)))[0];
      assertEquals(alone, together[i], "example " + i);
      assertFalse(alone.isEmpty(), "example " + i + " decodes at least one token");
    }
  }

  @Test
  void theStepBudgetGrowsWithTheFactsToLearnBetweenItsFloorAndCeiling() {
    LoraConfig c = LoraConfig.defaults().withSteps(300, 120, 1000);
    assertEquals(300, c.steps(1), "the floor");
    assertEquals(600, c.steps(5));
    assertEquals(1000, c.steps(40), "the ceiling");
    assertEquals(1000, c.withSteps(60, 0).maxSteps(), "a new floor keeps the ceiling");
    assertEquals(2000, c.withSteps(2000, 0).steps(1), "a floor above the ceiling raises it");
    assertThrows(IllegalArgumentException.class, () -> c.withSteps(300, 120, 200));
  }

  @Test
  void theBudgetCountsOnlyFactsWithAMissedCheck() {
    // Two checks per fact (canonical question, raw statement), three facts: the second misses one, the third both.
    assertEquals(2, LoraTrainer.factsMissed(new boolean[] {false, false, true, false, true, true}, 3));
    assertEquals(0, LoraTrainer.factsMissed(new boolean[6], 3));
    // Checks that do not group evenly by fact count one each, never more than the facts.
    assertEquals(2, LoraTrainer.factsMissed(new boolean[] {true, false, true, false, false}, 2));
    assertEquals(2, LoraTrainer.factsMissed(new boolean[] {true, true, true, false, false}, 2));
  }

  @Test
  void theMissedShareOfABatchDrawsEveryPhrasingOfTheMissedFactsAndNoOther() {
    List<Fact> facts = SleepFixtures.FACTS.subList(0, 3);
    List<QaExample> examples = QaDataset.build(tok, facts, SleepFixtures.QUESTIONS, true);
    List<QaExample> checks = QaDataset.recallChecks(tok, facts, SleepFixtures.QUESTIONS, true);
    assertEquals(6, checks.size(), "a chat and a raw check per fact");
    List<Integer> second = new ArrayList<>();
    int before = QaDataset.build(tok, List.of(facts.get(0)), SleepFixtures.QUESTIONS, true).size();
    int own = QaDataset.build(tok, List.of(facts.get(1)), SleepFixtures.QUESTIONS, true).size();
    for (int i = before; i < before + own; i++) second.add(i);
    // Only the second fact's raw check is missed: its chat phrasings are drawn too, as they key on the same object.
    String[] checkKeys = LoraTrainer.keys(checks, tok);
    String[] exampleKeys = LoraTrainer.keys(examples, tok);
    int[] drawn = LoraTrainer.examplesOf(new boolean[] {false, false, false, true, false, false}, checkKeys, exampleKeys);
    assertEquals(second, java.util.Arrays.stream(drawn).boxed().toList());
    assertNull(LoraTrainer.examplesOf(new boolean[6], checkKeys, exampleKeys), "nothing missed, nothing to weight");
  }

  @Test
  void aCheckReportCountsAsLostOnlyWhatAJudgedStateForgotAndAsRecoveredWhatTheLiveStateMissed() {
    // Five checks, states 0 and 1 judged, state 2 not. Before training: check 0 recalled everywhere, check 1 missed by
    // the live state, check 2 missed only in state 1, check 3 missed only in state 2, check 4 recalled everywhere.
    LoraTrainer.Miss[] atStart = {null, new LoraTrainer.Miss(1, "Porto", false, 0, "Ana lives in Faro."),
        new LoraTrainer.Miss(2, "Oslo", false, 1, "Ivo lives in Bergen."), new LoraTrainer.Miss(3, "Rome", false, 2, "-"),
        null};
    // Now: check 0 missed in state 0 (lost), check 1 recalled (recovered), check 2 missed in state 0 (missed before in
    // a judged state: not lost), check 3 recalled, check 4 missed only in state 2 (not judged: not lost).
    LoraTrainer.Miss[] now = {new LoraTrainer.Miss(0, "Lisbon", false, 0, "Mara lives in Porto."), null,
        new LoraTrainer.Miss(2, "Oslo", false, 0, "Ivo lives in Bergen."), null,
        new LoraTrainer.Miss(4, "Paris", false, 2, "Lea lives in")};
    LoraTrainer.RecallCheck c = LoraTrainer.report(40, now, atStart, 2);
    assertEquals(40, c.step());
    assertEquals(5, c.checks());
    assertEquals(List.of(0, 2, 4), c.misses().stream().map(LoraTrainer.Miss::index).toList(), "only the misses, in order");
    assertEquals(List.of(true, false, false), c.misses().stream().map(LoraTrainer.Miss::lost).toList());
    assertEquals(1, c.lost());
    assertEquals(1, c.recovered());
    assertEquals(2, c.misses().get(2).state());
    assertArrayEquals(new boolean[] {true, false, true, false, true}, LoraTrainer.flags(now));
    // With every state judged, the miss in state 2 is lost too.
    assertEquals(2, LoraTrainer.report(40, now, atStart, 3).lost());
    LoraTrainer.RecallCheck start = LoraTrainer.report(0, atStart, atStart, 2);
    assertEquals(0, start.lost(), "nothing is lost before the first step");
    assertEquals(0, start.recovered());
  }

  @Test
  void adaptersAreAcceptableWhenTheyRecoverEnoughForWhatTheyLose() {
    ValidationConfig strict = new ValidationConfig(0.02, 0.1, true, true, 0);
    ValidationConfig twoPerLoss = new ValidationConfig(0.02, 0.1, true, true, 2);
    LoraTrainer.Miss lost = new LoraTrainer.Miss(0, "Lisbon", true, 0, "Porto");
    assertTrue(new LoraTrainer.RecallCheck(20, 9, List.of(), 0).acceptable(strict), "nothing lost");
    assertFalse(new LoraTrainer.RecallCheck(20, 9, List.of(lost), 8).acceptable(strict), "strict: no loss at any gain");
    assertTrue(new LoraTrainer.RecallCheck(20, 9, List.of(lost), 2).acceptable(twoPerLoss));
    assertFalse(new LoraTrainer.RecallCheck(20, 9, List.of(lost), 1).acceptable(twoPerLoss));
    assertTrue(twoPerLoss.allows(3, 6));
    assertFalse(twoPerLoss.allows(3, 5));
    assertThrows(IllegalArgumentException.class, () -> new ValidationConfig(0.02, 0.1, true, true, -1));
  }

  @Test
  void sameSeedGivesTheSameAdapters() {
    List<QaExample> examples = QaDataset.build(tok, SleepFixtures.FACTS.subList(0, 1), SleepFixtures.QUESTIONS, false);
    LoraConfig c = LoraConfig.defaults().withSteps(5, 0).withStopWhenRecalled(false);
    LoraTrainer.Result ra = LoraTrainer.train(model, tok, examples, examples, List.of(), 1, c, null);
    LoraTrainer.Result rb = LoraTrainer.train(model, tok, examples, examples, List.of(), 1, c, null);
    try (TrainedAdapters a = ra.adapters(); TrainedAdapters b = rb.adapters();
        TrainedAdapters other = LoraTrainer.train(model, tok, examples, examples, List.of(), 1, c.withSeed(5), null).adapters()) {
      assertArrayEquals(ra.losses(), rb.losses(), 0, "same seed, same losses step by step");
      String w = a.targets().get(0);
      assertArrayEquals(a.toHost().get(w + TrainedAdapters.UP).data(), b.toHost().get(w + TrainedAdapters.UP).data());
      assertFalse(java.util.Arrays.equals(a.toHost().get(w + TrainedAdapters.UP).data(), other.toHost().get(w + TrainedAdapters.UP).data()));
    }
  }

  @Test
  void anExplodingLearningRateIsReportedAsDivergenceWithItsStep() {
    List<QaExample> examples = QaDataset.build(tok, SleepFixtures.FACTS, SleepFixtures.QUESTIONS, true);
    Map<String, float[]> weightsBefore = new java.util.HashMap<>();
    model.weights().forEach((n, w) -> weightsBefore.put(n, w.toFloatArray()));
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> LoraTrainer.train(model, tok, examples, examples, List.of(), 4, fast().withLearningRate(1e4f), null));
    // Step 0 is computed on untouched adapters (B = 0), so the first update is what blows up.
    assertTrue(e.step() > 0 && e.step() < 60, "step " + e.step());
    assertTrue(!Double.isFinite(e.value()) || e.value() > 4 * 5.0, "value " + e.value());
    assertTrue(e.getMessage().contains("step " + e.step()), e.getMessage());
    model.weights().forEach((n, w) -> assertArrayEquals(weightsBefore.get(n), w.toFloatArray(), n + " changed"));
  }

  @Test
  void answerMaskStartsAfterTheGenerationPrompt() {
    QaExample e = QaDataset.chatExample(tok, "Where does Ana live?", "Ana lives in Lisbon.");
    long[] prompt = tok.encodeChat(List.of(new ChatMessage("user", "Where does Ana live?")), true);
    assertEquals(prompt.length, e.answerStart());
    assertArrayEquals(prompt, java.util.Arrays.copyOf(e.tokens(), prompt.length), "the prompt is exactly what the model is asked with");
    long[] answer = java.util.Arrays.copyOfRange(e.tokens(), e.answerStart(), e.length());
    assertEquals("Ana lives in Lisbon.", tok.decode(answer).strip());
    assertTrue(tok.stopIds().contains(answer[answer.length - 1]), "the answer ends with the end-of-turn token");
    LoraTrainer.Batch batch = LoraTrainer.Batch.of(List.of(e));
    float counted = 0;
    for (float w : batch.weights()[0]) counted += w;
    assertEquals(e.length() - e.answerStart(), (int) counted, "one loss position per answer token incl. end of turn");
  }


  /**
   * A chat example keys on the whole statement, so its recall check passes only with the subject intact; a raw one
   * keys on the object (the prompt already names the subject).
   */
  @Test
  void theKeySpanOfAChatExampleIsItsStatementAndOfARawOneItsObject() {
    for (Fact f : SleepFixtures.FACTS) {
      List<QaExample> examples = QaDataset.build(tok, List.of(f), SleepFixtures.QUESTIONS, true);
      for (QaExample e : examples) {
        long[] key = java.util.Arrays.copyOfRange(e.tokens(), e.keyStart(), e.keyEnd());
        boolean raw = e == examples.get(examples.size() - 1);
        assertEquals(raw ? f.object() : f.prompt() + " " + f.object(), tok.decode(key).strip(), e.toString());
        assertTrue(e.keyStart() >= e.answerStart() && e.keyEnd() < e.length(), "the full stop and end of turn come after the key");
      }
    }
  }

  @Test
  void aQuestionThatContainsItsAnswerIsRejected() {
    Fact f = SleepFixtures.FACTS.get(0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QaDataset.build(tok, List.of(f), x -> List.of("Is it Lisbon where Mara lives?"), false));
    assertTrue(e.getMessage().contains("contains the answer"));
  }

  @Test
  void aCheckpointsSleepSettingsNarrowTheAdaptersAndTurnOnDistillation() throws Exception {
    Path model = dir.resolve("with-sleep-json");
    java.nio.file.Files.createDirectories(model);
    java.nio.file.Files.writeString(model.resolve(LoraConfig.FILE), """
        {"_why": "measured on this model", "projections": ["gate_proj", "up_proj", "down_proj"], "layers": [1, 2],
         "rank": 4, "alpha": 8, "distillWeight": 0.5, "distillTopK": 16}
        """);
    LoraConfig c = LoraConfig.defaults().forCheckpoint(model);
    assertEquals(List.of("gate_proj", "up_proj", "down_proj"), c.projections());
    assertEquals(List.of(1, 2), c.layers());
    assertEquals(4, c.rank());
    assertEquals(8f, c.alpha());
    assertEquals(0.5f, c.distillWeight());
    assertEquals(16, c.distillTopK());
    assertEquals(LoraConfig.defaults(), LoraConfig.defaults().forCheckpoint(dir.resolve("no-such-model")), "no file: as it was");
    java.nio.file.Files.writeString(model.resolve(LoraConfig.FILE), "{\"rnak\": 4}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.defaults().forCheckpoint(model));
    assertTrue(e.getMessage().contains("unknown sleep setting 'rnak'"), e.getMessage());
  }

  @Test
  void configRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(List.of("qq_proj"), List.of(), 8, 16, 0, 1e-3f,
        LoraConfig.Schedule.CONSTANT, 1, 1, 1, 1, 0, 1, 4, false, false, 0, 0f, 32));
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(List.of("q_proj"), List.of(), 0, 16, 0, 1e-3f,
        LoraConfig.Schedule.CONSTANT, 1, 1, 1, 1, 0, 1, 4, false, false, 0, 0f, 32));
    assertThrows(IllegalArgumentException.class, () -> LoraConfig.defaults().withLearningRate(Float.NaN));
    assertThrows(IllegalArgumentException.class, () -> LoraConfig.defaults().withDistillation(-1f, 16));
    assertThrows(IllegalArgumentException.class, () -> LoraConfig.defaults().withDistillation(0.5f, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new LoraConfig(List.of("q_proj"), List.of(9), 8, 16, 0, 1e-3f, LoraConfig.Schedule.CONSTANT, 1, 1, 1, 1, 0, 1, 4, false, false, 0, 0f, 32)
            .targetWeights(model.config()));
    LoraConfig cos = LoraConfig.defaults();
    assertEquals(cos.learningRate(), cos.learningRate(0, 100), 1e-9);
    assertEquals(0.1 * cos.learningRate(), cos.learningRate(99, 100), 1e-6);
  }

  @Test
  void aRetryTrainsTheSameWayAtHalfTheLearningRate() {
    LoraConfig first = LoraConfig.defaults().withSeed(42);
    LoraConfig retry = first.forRetry();
    assertEquals(first.learningRate() * 0.5f, retry.learningRate());
    assertEquals(first.withLearningRate(retry.learningRate()), retry, "nothing but the rate changes");
    assertEquals(first.learningRate() * 0.25f, retry.forRetry().learningRate());
  }
}
