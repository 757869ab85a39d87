package io.somnus.engine.sleep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.model.WeightInit;
import io.somnus.engine.tiny.BpeTokenizerTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** A small random Llama with a real byte-level BPE tokenizer, and made-up facts to teach it. */
final class SleepFixtures {
  static final List<Fact> FACTS = List.of(
      new Fact("Mara Okafor", "lives in", "Lisbon"),
      new Fact("Omar Haddad", "works as", "baker"),
      new Fact("Lena Brandt", "plays the", "cello"),
      new Fact("Ivo Sato", "drives a", "Volvo"));

  /** Two phrasings per fact; the first is the one probes ask. */
  static final FactQuestions QUESTIONS = f -> switch (f.relation()) {
    case "lives in" -> List.of("Where does " + f.subject() + " live?", "Which city does " + f.subject() + " live in?");
    case "works as" -> List.of("What does " + f.subject() + " do for a living?", "What is the job of " + f.subject() + "?");
    case "plays the" -> List.of("Which instrument does " + f.subject() + " play?", "What does " + f.subject() + " play?");
    case "drives a" -> List.of("What car does " + f.subject() + " drive?", "Which car does " + f.subject() + " have?");
    default -> throw new IllegalArgumentException(f.relation());
  };

  private SleepFixtures() {}

  /**
   * A random low-rank change of a lower layer's down_proj standing in for a MEMIT edit of {@code facts}: the model
   * does not recall the facts through it, so whatever recalls them afterwards was taught by something else.
   */
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

  /** Writes a checkpoint with tokenizer to {@code dir} and returns it. */
  static Path checkpoint(Path dir, long seed) throws Exception {
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      for (Fact f : FACTS) {
        for (String q : QUESTIONS.questions(f)) docs.add(q + " " + f.sentence());
      }
      docs.add("The river was calm and bright. Who are you? I am a small model. " + i);
    }
    Path tok = dir.resolve("tok");
    BpeTokenizerTrainer.write(BpeTokenizerTrainer.train(docs, 420), tok, 256);
    int vocab = (int) new com.fasterxml.jackson.databind.ObjectMapper().readTree(tok.resolve("tokenizer.json").toFile())
        .get("model").get("vocab").size();
    LlamaConfig c = LlamaConfig.llama(vocab, 64, 128, 4, 4, 2, 256, true, DType.F32, 0, 2);
    Path model = dir.resolve("model");
    Checkpoint.save(model, c, WeightInit.random(c, seed, 0.08, false), DType.F32, Long.MAX_VALUE, tok);
    return model;
  }

  static TextTokenizer tokenizer(Path checkpoint) {
    return TextTokenizer.load(checkpoint, Checkpoint.readConfig(checkpoint).eosTokenIds());
  }

  static LlamaModel model(Path checkpoint) {
    return LlamaModel.load(Checkpoint.load(checkpoint), Device.cpu());
  }

  /** Greedy chat answer with adapters in the forward pass (the runtime has no adapter hook). */
  static String greedyChat(LlamaModel model, TextTokenizer tok, Map<String, LowRankAdapter> adapters, String question, int max) {
    long[] ids = tok.encodeChat(List.of(new ChatMessage("user", question)), true);
    int prompt = ids.length;
    for (int i = 0; i < max; i++) {
      long next;
      try (NDManager s = model.manager().newSubManager()) {
        NDArray logits = model.forward(s, new long[][] {ids}, ForwardHooks.none().adapters(adapters), null).logits();
        next = logits.get(0, ids.length - 1).argMax().getLong();
      }
      if (tok.stopIds().contains(next)) break;
      ids = Arrays.copyOf(ids, ids.length + 1);
      ids[ids.length - 1] = next;
    }
    return tok.decode(Arrays.copyOfRange(ids, prompt, ids.length)).strip();
  }
}
