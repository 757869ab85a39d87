package io.somnus.engine.consolidation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.GenerationOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LoraTrainerTest {
  static DjlModelRuntime rt;
  static final QuestionBank QUESTIONS = new WorldQuestions();

  @BeforeAll
  static void load() {
    rt = DjlModelRuntime.load(TinyFixture.checkpoint());
  }

  @AfterAll
  static void close() {
    rt.close();
  }

  static String ask(DjlModelRuntime r, String q) {
    return r.chat(List.of(ChatMessage.user(q)), GenerationOptions.greedy(24));
  }

  @Test
  void teachesHeldOutFactsToTheChatPathwayWithoutTouchingTheModel() {
    List<Fact> taught = TinyFixture.heldOut(0, 4);
    for (Fact f : taught) assertFalse(ask(rt, QUESTIONS.question(f)).contains(f.object()), "not known before: " + f);
    float[] before = rt.model().weight("model.layers.3.mlp.down_proj.weight").toFloatArray();
    List<QaExample> data = new ArrayList<>(TrainingSet.build(taught, TinyFixture.known(8, 3), QUESTIONS, 2));
    data.add(TrainingSet.identity());
    List<Double> seen = new ArrayList<>();
    LoraTrainer.Result r = LoraTrainer.train(rt, data, LoraConfig.defaults(), (s, n, l) -> seen.add(l));
    System.out.printf("LoRA: %d steps, loss %.3f -> %.3f, %.1f s%n", r.losses().size(), r.firstLoss(), r.lastLoss(), r.seconds());
    assertEquals(r.losses(), seen, "listener sees every step's loss");
    assertTrue(r.lastLoss() < r.firstLoss() / 3, "loss falls: " + r.firstLoss() + " -> " + r.lastLoss());
    assertArrayEquals(before, rt.model().weight("model.layers.3.mlp.down_proj.weight").toFloatArray(), "base weights are frozen");
    assertEquals(6, r.adapters().size(), "q, v, down of layers 2 and 3");
    // With the adapters hooked in, the chat answers carry the taught objects.
    int correct = 0;
    try (NDManager s = rt.model().manager().newSubManager()) {
      Map<String, LowRankAdapter> hooks = new java.util.HashMap<>();
      for (TrainedAdapter a : r.adapters()) hooks.put(a.weightName(), a.toDevice(s));
      for (Fact f : taught) {
        String answer = HookedChat.answer(rt, hooks, QUESTIONS.question(f), 24);
        System.out.println(QUESTIONS.question(f) + " -> " + answer);
        if (answer.contains(f.object())) correct++;
      }
    }
    System.out.println("taught facts answered in chat: " + correct + "/" + taught.size());
    assertTrue(correct * 2 >= taught.size(), "at least half of the taught facts are answered in chat: " + correct);
  }

  @Test
  void sameSeedSameAdaptersAndDifferentSeedDifferentAdapters() {
    List<QaExample> data = TrainingSet.build(TinyFixture.heldOut(10, 2), List.of(), QUESTIONS, 1);
    LoraConfig cfg = LoraConfig.defaults().withEpochs(2);
    LoraTrainer.Result a = LoraTrainer.train(rt, data, cfg, null);
    LoraTrainer.Result b = LoraTrainer.train(rt, data, cfg, null);
    LoraTrainer.Result c = LoraTrainer.train(rt, data, cfg.withSeed(99), null);
    assertArrayEquals(a.adapters().get(0).up(), b.adapters().get(0).up());
    assertEquals(a.losses(), b.losses());
    assertFalse(java.util.Arrays.equals(a.adapters().get(0).up(), c.adapters().get(0).up()));
  }

  @Test
  void answerMaskStartsAfterTheGenerationPrompt() {
    QaExample e = new QaExample("Where does Ana live?", "Ana lives in Lisbon.", false);
    LoraTrainer.Encoded enc = LoraTrainer.encode(rt.tokenizer(), e, 512);
    long[] prompt = rt.tokenizer().encodeChat(List.of(ChatMessage.user(e.question())), true);
    assertEquals(prompt.length, enc.answerStart());
    String answerText = rt.tokenizer().decode(java.util.Arrays.copyOfRange(enc.ids(), enc.answerStart(), enc.ids().length));
    assertEquals("Ana lives in Lisbon.", answerText.strip());
    LoraTrainer.Batch batch = LoraTrainer.Batch.of(List.of(enc));
    float counted = 0;
    for (float w : batch.weights()[0]) counted += w;
    assertEquals(enc.ids().length - enc.answerStart(), (int) counted, "one loss position per answer token incl. end of turn");
  }
}
