package io.somnus.engine.memory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Does the model know a fact? Deterministic probes only: greedy decoding, so a score never depends
 * on a random draw (the reference samples at T = 0.1, spec §4.10), plus a log-probability margin
 * that says by how much, not only whether.
 *
 * <ul>
 *   <li>raw recall: the greedy continuation of "subject relation" starts with the object;
 *   <li>chat recall: the greedy answer to the fact's question contains the object;
 *   <li>paraphrase recall: the same for other phrasings — a question (ends with '?') is asked in
 *       chat, a cloze prompt is continued raw;
 *   <li>margin: teacher-forced over the object tokens after the prompt, the smallest
 *       {@code log p(object token) − max log p(any other token)}. Positive exactly when greedy
 *       decoding reproduces the object's tokens, so it is the continuous version of raw recall;
 *   <li>specificity: the fraction of neighbour prompts whose greedy continuation is unchanged;
 *   <li>perplexity over reference texts, whose relative change is the drift an edit causes.
 * </ul>
 *
 * Margins and perplexity are batched (one forward pass per batch of prompts).
 */
public final class RecallProbe {
  private static final int BATCH = 32;
  private final ModelRuntime rt;
  private final int maxNewTokens;

  /** @param maxNewTokens greedy tokens generated per probe (object length plus some slack) */
  public RecallProbe(ModelRuntime rt, int maxNewTokens) {
    if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1");
    this.rt = rt;
    this.maxNewTokens = maxNewTokens;
  }

  public RecallProbe(ModelRuntime rt) {
    this(rt, 12);
  }

  /** Greedy continuation of a raw prompt. */
  public String complete(String prompt) {
    return rt.complete(prompt, GenerationOptions.greedy(maxNewTokens));
  }

  /** Greedy assistant answer to one user message. */
  public String answer(String question) {
    return rt.chat(List.of(ChatMessage.user(question)), GenerationOptions.greedy(maxNewTokens + 8));
  }

  public boolean rawRecall(Fact f) {
    return startsWithObject(complete(f.prompt()), f.object());
  }

  public boolean chatRecall(Fact f, String question) {
    return containsObject(answer(question), f.object());
  }

  /** A question is asked in chat, a cloze prompt is continued raw. */
  public boolean paraphraseRecall(Fact f, String phrasing) {
    return phrasing.strip().endsWith("?") ? chatRecall(f, phrasing) : startsWithObject(complete(phrasing), f.object());
  }

  /** Fraction of {@code facts} with raw recall. */
  public double rawRecallRate(List<Fact> facts) {
    if (facts.isEmpty()) return Double.NaN;
    return facts.stream().filter(this::rawRecall).count() / (double) facts.size();
  }

  /** Raw recall's test of a continuation: it begins with the object (case aside). */
  public static boolean startsWithObject(String text, String object) {
    return text.strip().toLowerCase(Locale.ROOT).startsWith(object.toLowerCase(Locale.ROOT));
  }

  static boolean containsObject(String text, String object) {
    return text.toLowerCase(Locale.ROOT).contains(object.toLowerCase(Locale.ROOT));
  }

  /** Per fact, teacher-forced over the object tokens: min over positions of log p(target) − max log p(other). */
  public double[] margins(List<Fact> facts) {
    List<long[]> prompts = new ArrayList<>();
    List<long[]> targets = new ArrayList<>();
    for (Fact f : facts) {
      prompts.add(rt.tokenizer().encode(f.prompt()));
      targets.add(rt.tokenizer().encodeContinuation(f.target()));
    }
    return margins(prompts, targets);
  }

  /** Sum of the object tokens' log-probabilities after the prompt, per fact (batched). */
  public double[] objectLogProbs(List<Fact> facts) {
    double[] out = new double[facts.size()];
    for (int from = 0; from < facts.size(); from += BATCH) {
      List<Fact> part = facts.subList(from, Math.min(facts.size(), from + BATCH));
      List<long[]> prompts = new ArrayList<>();
      List<long[]> targets = new ArrayList<>();
      for (Fact f : part) {
        prompts.add(rt.tokenizer().encode(f.prompt()));
        targets.add(rt.tokenizer().encodeContinuation(f.target()));
      }
      float[][] lp = rt.targetLogProbs(prompts, targets);
      for (int i = 0; i < part.size(); i++) {
        double s = 0;
        for (float x : lp[i]) s += x;
        out[from + i] = s;
      }
    }
    return out;
  }

  private double[] margins(List<long[]> prompts, List<long[]> targets) {
    double[] out = new double[prompts.size()];
    for (int from = 0; from < prompts.size(); from += BATCH) {
      int to = Math.min(prompts.size(), from + BATCH);
      int width = 0;
      for (int b = from; b < to; b++) width = Math.max(width, prompts.get(b).length + targets.get(b).length - 1);
      long[][] input = new long[to - from][width];
      for (int b = from; b < to; b++) {
        long[] p = prompts.get(b);
        long[] t = targets.get(b);
        long[] row = input[b - from];
        System.arraycopy(p, 0, row, 0, p.length);
        System.arraycopy(t, 0, row, p.length, t.length - 1); // right padding (0) is harmless: causal
      }
      try (NDManager s = rt.model().manager().newSubManager()) {
        NDArray logp = rt.model().forward(s, input, ForwardHooks.none(), null).logits().logSoftmax(-1);
        long vocab = logp.getShape().get(2);
        float[] all = logp.toFloatArray();
        for (int b = from; b < to; b++) {
          int p = prompts.get(b).length;
          long[] t = targets.get(b);
          double worst = Double.POSITIVE_INFINITY;
          for (int j = 0; j < t.length; j++) {
            int base = (int) (((long) (b - from) * width + p - 1 + j) * vocab);
            double target = all[base + (int) t[j]];
            double best = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) if (v != t[j]) best = Math.max(best, all[base + v]);
            worst = Math.min(worst, target - best);
          }
          out[b] = worst;
        }
      }
    }
    return out;
  }

  /** Greedy continuations of {@code prompts}, to compare before and after an edit. */
  public List<String> snapshot(List<String> prompts) {
    List<String> out = new ArrayList<>();
    for (String p : prompts) out.add(complete(p));
    return out;
  }

  /** Fraction of prompts whose greedy continuation now equals {@code before}. */
  public double specificity(List<String> prompts, List<String> before) {
    if (prompts.size() != before.size()) throw new IllegalArgumentException("prompts and snapshot differ in size");
    if (prompts.isEmpty()) return Double.NaN;
    int same = 0;
    for (int i = 0; i < prompts.size(); i++) if (complete(prompts.get(i)).equals(before.get(i))) same++;
    return same / (double) prompts.size();
  }

  /**
   * MEMIT's neighbourhood score: of the neighbour facts the model recalled before ({@code
   * recalledBefore}), the fraction it still recalls. Unlike {@link #specificity} it ignores changes
   * after the object (a different continuation past "Lisbon." is not a forgotten fact).
   */
  public double neighbourRetention(List<Fact> neighbours, boolean[] recalledBefore) {
    int known = 0;
    int kept = 0;
    for (int i = 0; i < neighbours.size(); i++) {
      if (!recalledBefore[i]) continue;
      known++;
      if (rawRecall(neighbours.get(i))) kept++;
    }
    return known == 0 ? Double.NaN : kept / (double) known;
  }

  /** exp(mean NLL) over all tokens (after each text's first) of all texts, batched. */
  public double perplexity(List<String> texts) {
    List<long[]> prompts = new ArrayList<>();
    List<long[]> targets = new ArrayList<>();
    int context = rt.config().maxPositionEmbeddings();
    for (String text : texts) {
      long[] ids = rt.tokenizer().encode(text);
      if (ids.length < 2) continue;
      if (ids.length > context) ids = Arrays.copyOf(ids, context);
      prompts.add(new long[] {ids[0]});
      targets.add(Arrays.copyOfRange(ids, 1, ids.length));
    }
    if (prompts.isEmpty()) return Double.POSITIVE_INFINITY;
    double nll = 0;
    long count = 0;
    for (int from = 0; from < prompts.size(); from += BATCH) {
      int to = Math.min(prompts.size(), from + BATCH);
      float[][] lp = rt.targetLogProbs(prompts.subList(from, to), targets.subList(from, to));
      for (float[] row : lp) {
        for (float x : row) nll -= x;
        count += row.length;
      }
    }
    return Math.exp(nll / count);
  }
}
