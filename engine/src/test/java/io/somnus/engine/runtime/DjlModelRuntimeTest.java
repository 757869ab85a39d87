package io.somnus.engine.runtime;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.ChatFormat;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.WeightInit;
import io.somnus.engine.tiny.BpeTokenizerTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text-level runtime on a random model with a real tokenizer.json built by the project. */
class DjlModelRuntimeTest {
  @TempDir static Path dir;
  static DjlModelRuntime rt;

  @BeforeAll
  static void build() throws Exception {
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      docs.add("Mara Okafor lives in Lisbon. The river was calm and bright. Where does Omar Haddad live? " + i);
    }
    Path tok = dir.resolve("tok");
    BpeTokenizerTrainer.write(BpeTokenizerTrainer.train(docs, 400), tok, 256);
    int vocab = (int) new com.fasterxml.jackson.databind.ObjectMapper().readTree(tok.resolve("tokenizer.json").toFile())
        .get("model").get("vocab").size();
    LlamaConfig c = LlamaConfig.llama(vocab, 64, 128, 2, 4, 2, 256, true, DType.F32, 0, 2);
    Checkpoint.save(dir.resolve("model"), c, WeightInit.random(c, 3, 0.2, false), DType.F32, Long.MAX_VALUE, tok);
    rt = DjlModelRuntime.load(dir.resolve("model"), Device.cpu());
  }

  @AfterAll
  static void close() {
    rt.close();
  }

  /** Conversations answered side by side get exactly the answers each gets alone, whatever their lengths. */
  @Test
  void chatAllAnswersAsChatDoesOneAtATime() {
    List<List<ChatMessage>> asked = new ArrayList<>();
    for (String q : List.of("Where does Mara Okafor live?", "Where does Omar Haddad live?", "Hi", "The river was calm and",
        "Where does Mara live?", "Who are you?", "Where does Omar Haddad live?")) {
      asked.add(List.of(ChatMessage.user(q)));
    }
    GenerationOptions greedy = GenerationOptions.greedy(12);
    List<String> alone = new ArrayList<>();
    for (List<ChatMessage> c : asked) alone.add(rt.chat(c, greedy));
    assertEquals(alone, rt.chatAll(asked, greedy));
  }

  @Test
  void tokenizerRoundTripsTextAndAddsTheBeginningMarker() {
    long[] ids = rt.tokenizer().encode("Mara Okafor lives in Lisbon.");
    assertEquals(0, ids[0], "<|endoftext|> opens every sequence");
    assertEquals("Mara Okafor lives in Lisbon.", rt.tokenizer().decode(ids));
    // Byte-level: text the corpus never contained still encodes and decodes exactly.
    assertEquals("Zyxq Ølberg 42!", rt.tokenizer().decode(rt.tokenizer().encode("Zyxq Ølberg 42!")));
  }

  @Test
  void chatFormatComesFromTheTokenizerConfigAndItsMarkersAreSingleTokens() {
    assertEquals(ChatFormat.CHATML, rt.tokenizer().chatFormat());
    long[] ids = rt.tokenizer().encodeChat(List.of(new ChatMessage("user", "Where does Mara live?")), true);
    long start = rt.tokenizer().specialTokenId("<|im_start|>");
    long end = rt.tokenizer().specialTokenId("<|im_end|>");
    assertEquals(2, java.util.Arrays.stream(ids).filter(x -> x == start).count(), "user turn and open assistant turn");
    assertEquals(1, java.util.Arrays.stream(ids).filter(x -> x == end).count());
    assertTrue(rt.tokenizer().stopIds().contains(end));
  }

  @Test
  void greedyGenerationIsTheArgmaxOfAFullForwardPass() {
    long[] prompt = rt.tokenizer().encode("Mara Okafor lives");
    long[] generated = rt.generate(prompt, GenerationOptions.greedy(6));
    long[] seq = prompt;
    for (long token : generated) {
      try (NDManager m = rt.model().manager().newSubManager()) {
        float[] logits = rt.model().forward(m, new long[][] {seq}, ForwardHooks.none(), null).logits()
            .get(0, seq.length - 1).toFloatArray();
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        assertEquals(best, token, "KV-cached greedy step equals uncached argmax");
      }
      seq = java.util.Arrays.copyOf(seq, seq.length + 1);
      seq[seq.length - 1] = token;
    }
  }

  @Test
  void theTokenListenerSeesEachTokenInOrderAndCanEndGenerationEarly() {
    long[] prompt = rt.tokenizer().encode("Mara Okafor lives");
    long[] whole = rt.generate(prompt, GenerationOptions.greedy(8));
    assertTrue(whole.length >= 3, "the random model runs on past three tokens");
    List<Long> seen = new ArrayList<>();
    long[] streamed = rt.generate(prompt, GenerationOptions.greedy(8), id -> seen.add(id));
    assertArrayEquals(whole, streamed);
    assertEquals(java.util.Arrays.stream(whole).boxed().toList(), seen);

    seen.clear();
    long[] cut = rt.generate(prompt, GenerationOptions.greedy(8), id -> seen.add(id) && seen.size() < 3);
    assertArrayEquals(java.util.Arrays.copyOf(whole, 3), cut, "ends after the token the listener refused to go past");
  }

  @Test
  void samplingIsSeededAndDiffersFromGreedyOnAFlatModel() {
    long[] prompt = rt.tokenizer().encode("The river");
    GenerationOptions hot = GenerationOptions.sampled(12, 5.0, 1.0, 11);
    assertArrayEquals(rt.generate(prompt, hot), rt.generate(prompt, hot), "same seed, same sample");
    assertFalse(java.util.Arrays.equals(rt.generate(prompt, GenerationOptions.greedy(12)), rt.generate(prompt, hot)));
  }

  @Test
  void batchedTargetScoresEqualOneAtATimeAndPerplexityMatchesThem() {
    List<long[]> prompts = List.of(rt.tokenizer().encode("Mara Okafor lives in"), rt.tokenizer().encode("Where"));
    List<long[]> targets = List.of(rt.tokenizer().encodeContinuation(" Lisbon."), rt.tokenizer().encodeContinuation(" does Omar Haddad live?"));
    float[][] batched = rt.targetLogProbs(prompts, targets);
    for (int i = 0; i < 2; i++) {
      float[][] single = rt.targetLogProbs(List.of(prompts.get(i)), List.of(targets.get(i)));
      assertEquals(targets.get(i).length, batched[i].length);
      for (int j = 0; j < single[0].length; j++) assertEquals(single[0][j], batched[i][j], 1e-4, "row " + i + " token " + j);
    }
    // Perplexity of a text = exp(-mean log p) of its tokens after the first, the same scores as above.
    long[] whole = rt.tokenizer().encode("Where does Omar Haddad live?");
    float[][] lp = rt.targetLogProbs(List.of(new long[] {whole[0]}), List.of(java.util.Arrays.copyOfRange(whole, 1, whole.length)));
    double nll = 0;
    for (float x : lp[0]) nll -= x;
    assertEquals(Math.exp(nll / lp[0].length), rt.perplexity("Where does Omar Haddad live?"), 1e-3);
  }

  @Test
  void savedCheckpointReloadsToTheSameScores() throws Exception {
    Path copy = dir.resolve("copy");
    rt.save(copy, DType.F32);
    assertTrue(Files.isRegularFile(copy.resolve("tokenizer.json")));
    try (DjlModelRuntime again = DjlModelRuntime.load(copy, Device.cpu())) {
      assertEquals(rt.perplexity("Mara Okafor lives in Lisbon."), again.perplexity("Mara Okafor lives in Lisbon."), 1e-9);
    }
  }
}
