package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When a candidate may replace the live model, on a random model whose answers MEMIT-like random edits move. */
class CandidateValidatorTest {
  @TempDir static Path dir;
  static Path base;
  static final List<Fact> TAUGHT = SleepFixtures.FACTS.subList(0, 2);

  @BeforeAll
  static void model() throws Exception {
    base = SleepFixtures.checkpoint(dir, 31);
  }

  @Test
  void validationTakesBackTheAnswersFromBeforeTheEditsButNotNewOnes() {
    MemoryState edited = new MemoryState(base, 0, List.of(SleepFixtures.randomEdit("loud", TAUGHT, 7, 1.0)),
        FactStageTable.of(List.of(SleepFixtures.randomEdit("loud", TAUGHT, 7, 1.0))));
    MemoryState elsewhere = new MemoryState(base, 0, List.of(SleepFixtures.randomEdit("other", TAUGHT, 8, 1.0)),
        FactStageTable.of(List.of(SleepFixtures.randomEdit("other", TAUGHT, 8, 1.0))));
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
    try (ComposedModel plain = ComposedModel.load(base, List.of(), Map.of(), Device.cpu())) {
      // A candidate that states the two taught facts when asked and nothing else it did not know before.
      ModelRuntime candidate = new Answering(plain.runtime(), Map.of(
          SleepFixtures.QUESTIONS.canonical(facts.get(0)), facts.get(0).sentence(),
          SleepFixtures.QUESTIONS.canonical(facts.get(1)), facts.get(1).sentence()));
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
  }

  /** A model that answers some chat questions as told and everything else as {@code inner} does. */
  private record Answering(ModelRuntime inner, Map<String, String> answers) implements ModelRuntime {
    @Override
    public String chat(List<ChatMessage> messages, GenerationOptions options) {
      String told = answers.get(messages.get(messages.size() - 1).content());
      return told != null ? told : inner.chat(messages, options);
    }

    @Override
    public LlamaConfig config() {
      return inner.config();
    }

    @Override
    public TextTokenizer tokenizer() {
      return inner.tokenizer();
    }

    @Override
    public LlamaModel model() {
      return inner.model();
    }

    @Override
    public String complete(String prompt, GenerationOptions options) {
      return inner.complete(prompt, options);
    }

    @Override
    public long[] generate(long[] promptIds, GenerationOptions options, LongPredicate onToken) {
      return inner.generate(promptIds, options, onToken);
    }

    @Override
    public float[][] targetLogProbs(List<long[]> prompts, List<long[]> targets) {
      return inner.targetLogProbs(prompts, targets);
    }

    @Override
    public double perplexity(String text) {
      return inner.perplexity(text);
    }

    @Override
    public void save(Path dir, DType dtype) {
      throw new UnsupportedOperationException("a scripted model is not saved");
    }

    @Override
    public void close() {}
  }
}
