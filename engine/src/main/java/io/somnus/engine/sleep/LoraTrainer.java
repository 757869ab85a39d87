package io.somnus.engine.sleep;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.runtime.GreedyDecoder;
import io.somnus.engine.train.AdamW;
import io.somnus.engine.train.LanguageModelLoss;
import io.somnus.engine.train.TrainingDivergedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Trains LoRA adapters on question/answer sequences with the model frozen: DJL autograd on the
 * adapter factors only, loss on answer tokens only, AdamW with bias correction and decoupled weight
 * decay, global-norm gradient clipping, constant or cosine learning rate. The same seed and data
 * give the same adapters.
 *
 * <p>The model's weights are only read; the caller may pass a model that other code is also
 * reading, but must not change its weights while training runs.
 */
public final class LoraTrainer {

  /** Called after every optimiser step, e.g. to heartbeat a long-running activity. */
  @FunctionalInterface
  public interface Listener {
    void onStep(int step, int totalSteps, double loss);

    /** Called after every recall check of {@code stopWhenRecalled}, e.g. to trace what a run misses and forgets. */
    default void onCheck(RecallCheck check) {}

    /**
     * Called once training ends with the step whose adapters it returns: the last one, or an earlier check's when it
     * restored those (0: the untrained adapters, which change nothing).
     */
    default void onReturn(int step) {}
  }

  /**
   * What one recall check found: the adapters of {@code step} asked every recall check in every weight state.
   *
   * @param checks recall checks asked
   * @param misses the checks missed in at least one state, in check order
   * @param recovered checks that state 0 (the live model) missed before the first step and that every judged state
   *     ({@link Conditions#judged}) now recalls: what validation counts in the candidate's favour
   */
  public record RecallCheck(int step, int checks, List<Miss> misses, int recovered) {
    public RecallCheck {
      misses = List.copyOf(misses);
    }

    /** Misses that validation counts against the candidate: see {@link Miss#lost}. */
    public int lost() {
      return (int) misses.stream().filter(Miss::lost).count();
    }

    /** Whether validation would accept these adapters' trade of lost answers against recovered ones. */
    public boolean acceptable(ValidationConfig validation) {
      return validation.allows(lost(), recovered);
    }
  }

  /**
   * One missed recall check.
   *
   * @param index the check's position among the recall checks
   * @param key the object the answer had to state
   * @param lost every judged state ({@link Conditions#judged}) recalled it before the first step and one of them misses
   *     it now: validation, which compares the candidate with the live model, would count it as lost
   * @param state the first weight state that missed it
   * @param answer what the model answered there
   */
  public record Miss(int index, String key, boolean lost, int state, String answer) {}

  /**
   * @param adapters the trained adapters; the caller owns and closes them
   * @param steps optimiser steps taken: the budget, or fewer when the facts were learned sooner (0 when the model
   *     already knew them)
   * @param budget the step budget: {@code config.steps(n)} for the n facts not yet recalled before the first step (all
   *     of them without {@code stopWhenRecalled})
   * @param losses mean answer-token loss of every step's batch
   * @param initialLoss mean answer-token loss of all examples before training
   * @param unrecalled recall checks the returned adapters do not pass (-1 if never checked). Out of budget with checks
   *     still missed, the returned adapters are those of the check with the fewest misses among those whose trade of
   *     lost against recovered answers validation accepts ({@link RecallCheck#acceptable}), when the last step's
   *     adapters are not acceptable or miss more
   * @param keptStep the step whose adapters are returned: {@code steps}, or the earlier check's they were restored to
   *     (0: the untrained adapters, which change nothing)
   */
  public record Result(TrainedAdapters adapters, int steps, int budget, int examples, double[] losses, double initialLoss,
      int unrecalled, double seconds, int keptStep) {
    public boolean stoppedEarly() {
      return steps < budget;
    }

    public double firstLoss() {
      return losses.length == 0 ? initialLoss : losses[0];
    }

    /** Mean of the last tenth of the step losses: a single last batch is too noisy to report. */
    public double finalLoss() {
      if (losses.length == 0) return initialLoss;
      int n = Math.max(1, losses.length / 10);
      double s = 0;
      for (int i = losses.length - n; i < losses.length; i++) s += losses[i];
      return s / n;
    }
  }

  /**
   * The weight states the adapters must work in, e.g. the fused model with its MEMIT edits applied and without them.
   * Each step trains in one state drawn at random, and a recall check passes only when every state recalls. State 0 is
   * the one the model was handed over in and is restored at the end.
   */
  public interface Conditions {
    int count();

    /**
     * The states validation judges the candidate in, as the first {@code judged()} of them (all by default); a check
     * missed only in a later state counts as a miss but never as a lost answer.
     */
    default int judged() {
      return count();
    }

    /** Puts the model's weights into state {@code index}. */
    void apply(int index);

    static Conditions none() {
      return new Conditions() {
        @Override
        public int count() {
          return 1;
        }

        @Override
        public void apply(int index) {}
      };
    }
  }

  private LoraTrainer() {}

  /**
   * {@link #train(LlamaModel, Conditions, TextTokenizer, List, List, List, int, LoraConfig, ValidationConfig, Listener)}
   * in the model's one state, for validation at its defaults.
   */
  public static Result train(LlamaModel model, TextTokenizer tokenizer, List<QaExample> factExamples,
      List<QaExample> recallChecks, List<QaExample> rehearsal, int facts, LoraConfig config, Listener listener) {
    return train(model, Conditions.none(), tokenizer, factExamples, recallChecks, rehearsal, facts, config,
        ValidationConfig.defaults(), listener);
  }

  /**
   * Trains fresh adapters on the fact examples and the rehearsal together, for at most {@code config.steps(facts)}
   * steps. With {@code config.stopWhenRecalled()} the budget is {@code config.steps} of the facts not recalled before
   * the first step, and training stops once every example of {@code recallChecks} is recalled (typically each fact's
   * canonical question and raw statement: the other phrasings are trained for generalisation but do not hold training
   * up, nor does rehearsal). With several {@code conditions} each step trains in one drawn at random and a check counts
   * as recalled only in all of them. Out of budget, the adapters returned are the best that {@code validation} would
   * accept (see {@link Result#unrecalled}).
   *
   * @throws TrainingDivergedException when a step's loss or gradient norm is not finite, or the loss
   *     exceeds {@code divergenceFactor} times the first step's; no adapters are returned then
   */
  public static Result train(LlamaModel model, Conditions conditions, TextTokenizer tokenizer, List<QaExample> factExamples,
      List<QaExample> recallChecks, List<QaExample> rehearsal, int facts, LoraConfig config, ValidationConfig validation,
      Listener listener) {
    return train(model, conditions, tokenizer, factExamples, recallChecks, rehearsal, null, facts, config, validation, listener);
  }

  /**
   * As above, distilling the rehearsal: {@code rehearsalTargets} holds, per rehearsal example, the teacher's answer
   * distribution ({@link SoftTargets}), which the student is pulled towards with {@link LoraConfig#distillWeight} as
   * well as trained on the teacher's answers; null (or a weight of 0) trains on the answers only.
   */
  public static Result train(LlamaModel model, Conditions conditions, TextTokenizer tokenizer, List<QaExample> factExamples,
      List<QaExample> recallChecks, List<QaExample> rehearsal, List<SoftTargets> rehearsalTargets, int facts, LoraConfig config,
      ValidationConfig validation, Listener listener) {
    if (rehearsalTargets != null && rehearsalTargets.size() != rehearsal.size()) {
      throw new IllegalArgumentException(rehearsalTargets.size() + " soft targets for " + rehearsal.size() + " rehearsal examples");
    }
    try {
      return trainIn(model, conditions, tokenizer, factExamples, recallChecks, rehearsal,
          config.distillWeight() > 0 ? rehearsalTargets : null, facts, config, validation, listener);
    } finally {
      conditions.apply(0);
    }
  }

  private static Result trainIn(LlamaModel model, Conditions conditions, TextTokenizer tokenizer, List<QaExample> factExamples,
      List<QaExample> recallChecks, List<QaExample> rehearsal, List<SoftTargets> rehearsalTargets, int facts, LoraConfig config,
      ValidationConfig validation, Listener listener) {
    if (factExamples.isEmpty()) throw new IllegalArgumentException("no fact examples to train on");
    List<QaExample> examples = new ArrayList<>(factExamples);
    examples.addAll(rehearsal);
    long started = System.nanoTime();
    int budget = config.steps(facts);
    boolean checks = config.stopWhenRecalled();
    model.setTrainable(false);
    TrainedAdapters adapters = TrainedAdapters.initialise(model, config);
    try {
      Map<String, NDArray> params = adapters.parameters();
      // Checks run outside a gradient collector, where DJL's PyTorch engine records no graph.
      for (NDArray p : params.values()) p.setRequiresGradient(true);
      List<NDArray> list = new ArrayList<>(params.values());
      double[] losses = new double[budget];
      int steps = 0;
      int unrecalled = -1;
      // The adapters at the check with the fewest misses among those validation would accept: only those are worth
      // handing on (evaluation/DECISIONS.md, "the adapters of the best acceptable check").
      Miss[] atStart = null;
      Map<String, float[]> best = null;
      int bestUnrecalled = Integer.MAX_VALUE;
      int bestStep = 0;
      boolean restore = false;
      // Half of every batch is fact examples, half rehearsal: drawn from one pool, ten facts' examples drown among
      // 130 rehearsal ones and are seen too rarely to be learned in the budget.
      BatchOrder factOrder = new BatchOrder(0, factExamples.size(), config.seed());
      BatchOrder rehearsalOrder = rehearsal.isEmpty() ? null : new BatchOrder(factExamples.size(), examples.size(), config.seed() ^ 0x5eedL);
      int factsPerBatch = rehearsalOrder == null ? config.batchSize() : (config.batchSize() + 1) / 2;
      // Examples of facts missed at the last check take every other fact slot of a batch: drawn only from all facts, a
      // new wave's share shrinks as consolidated facts pile up (evaluation/DECISIONS.md, "missed facts").
      BatchOrder missedOrder = null;
      // A fact's examples are found by the object their key spells, decoded once here rather than at every check.
      String[] checkKeys = checks ? keys(recallChecks, tokenizer) : null;
      String[] exampleKeys = checks ? keys(factExamples, tokenizer) : null;
      // Divergence is judged per batch against what the same examples cost before training: batches
      // mix rehearsal (already known, low loss) and new facts (high loss), so the first batch's loss
      // alone is no yardstick for a later one.
      // With several weight states, an example's yardstick is its worst loss among them.
      double[] initial = new double[examples.size()];
      Arrays.fill(initial, Double.NEGATIVE_INFINITY);
      for (int c = 0; c < conditions.count(); c++) {
        conditions.apply(c);
        for (int i = 0; i < examples.size(); i++) initial[i] = Math.max(initial[i], answerLoss(model, Map.of(), List.of(examples.get(i))));
      }
      double initialMean = Arrays.stream(initial).average().orElse(0);
      SplittableRandom dropoutRng = new SplittableRandom(config.seed() ^ 0xd40b0bL);
      SplittableRandom conditionRng = new SplittableRandom(config.seed() ^ 0xc0d1L);
      try (NDManager root = adapters.manager().newSubManager();
          AdamW opt = new AdamW(root, 0.9f, 0.999f, 1e-8f, config.weightDecay())) {
        for (int step = 0; step < budget; step++) {
          if (checks && step % LoraConfig.CHECK_EVERY == 0) {
            Miss[] misses = missedInAny(model, conditions, adapters, tokenizer, recallChecks, checkKeys);
            boolean[] missed = flags(misses);
            unrecalled = count(missed);
            if (step == 0) atStart = misses;
            RecallCheck check = report(step, misses, atStart, conditions.judged());
            if (listener != null) listener.onCheck(check);
            if (unrecalled == 0) break;
            if (check.acceptable(validation) && unrecalled < bestUnrecalled) {
              bestUnrecalled = unrecalled;
              best = snapshot(params);
              bestStep = step;
            }
            if (step == 0) {
              // The budget is for the facts still to learn: facts the fused weights already carry are rehearsed, not
              // taught, and a budget sized for all of them let a sleep with a few stubborn new facts train on for
              // hundreds of steps, drifting the model until validation rolled it back.
              budget = Math.min(budget, config.steps(factsMissed(missed, facts)));
              losses = new double[budget];
            }
            missedOrder = BatchOrder.of(examplesOf(missed, checkKeys, exampleKeys), config.seed() ^ step);
          }
          if (conditions.count() > 1) conditions.apply(conditionRng.nextInt(conditions.count()));
          List<QaExample> batch = new ArrayList<>();
          List<SoftTargets> soft = rehearsalTargets == null ? null : new ArrayList<>();
          double reference = 0;
          for (int b = 0; b < Math.min(config.batchSize(), examples.size()); b++) {
            int i = b >= factsPerBatch ? rehearsalOrder.next() : missedOrder != null && b % 2 == 1 ? missedOrder.next() : factOrder.next();
            batch.add(examples.get(i));
            if (soft != null) soft.add(i < factExamples.size() ? null : rehearsalTargets.get(i - factExamples.size()));
            reference = Math.max(reference, initial[i]);
          }
          reference = Math.max(reference, initialMean);
          // Every example weighs the same, whatever its length: with token weighting a long rehearsal text outweighs
          // twenty one-line answers (evaluation/DECISIONS.md, "every example weighs the same").
          Batch data = Batch.of(batch, true);
          try (NDManager scope = root.newSubManager()) {
            double loss;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
              Map<String, LowRankAdapter> live = withDropout(adapters, config.dropout(), dropoutRng, scope);
              NDArray logits = model.forward(scope, data.inputs, ForwardHooks.none().adapters(live), null).logits();
              NDArray l = LanguageModelLoss.crossEntropy(scope, logits, data.targets, data.weights);
              loss = l.getFloat(); // the answer loss: what divergence is judged by, with or without distillation
              if (soft != null && soft.stream().anyMatch(t -> t != null)) {
                l = l.add(SoftTargets.divergence(scope, logits.logSoftmax(-1), soft).mul(scope.create(config.distillWeight())));
              }
              if (!Double.isFinite(loss)) throw new TrainingDivergedException(step, loss, "LoRA answer loss");
              if (loss > config.divergenceFactor() * reference) {
                throw new TrainingDivergedException(step, loss, "LoRA answer loss (more than " + config.divergenceFactor()
                    + "× the batch's loss before training, " + String.format("%.4f", reference) + ")");
              }
              gc.backward(l);
            }
            double norm = AdamW.clipGlobalNorm(list, config.clipNorm());
            if (!Double.isFinite(norm)) throw new TrainingDivergedException(step, norm, "LoRA gradient norm");
            opt.update(params, config.learningRate(step, budget), name -> true);
            losses[step] = loss;
          }
          steps = step + 1;
          if (listener != null) listener.onStep(steps, budget, losses[step]);
        }
        if (checks && steps == budget) {
          Miss[] misses = missedInAny(model, conditions, adapters, tokenizer, recallChecks, checkKeys);
          unrecalled = count(flags(misses));
          RecallCheck check = report(steps, misses, atStart, conditions.judged());
          if (listener != null) listener.onCheck(check);
          // Out of budget with facts still missing, the last step is just where an oscillation stopped: one that
          // forgot more answers known before training than it gave back would have the candidate rolled back.
          restore = best != null && unrecalled > 0 && (!check.acceptable(validation) || bestUnrecalled < unrecalled);
          if (restore) unrecalled = bestUnrecalled;
        }
      }
      for (NDArray p : params.values()) p.setRequiresGradient(false);
      // Written in place only now: a parameter that still requires a gradient cannot be.
      if (restore) best.forEach((name, values) -> params.get(name).set(values));
      if (listener != null) listener.onReturn(restore ? bestStep : steps);
      return new Result(adapters, steps, budget, examples.size(), Arrays.copyOf(losses, steps), initialMean,
          unrecalled, (System.nanoTime() - started) / 1e9, restore ? bestStep : steps);
    } catch (RuntimeException e) {
      adapters.close();
      throw e;
    }
  }

  /**
   * Mean answer-token loss of {@code examples} with the given adapters (none: the plain model), in
   * batches, without recording gradients.
   */
  public static double answerLoss(LlamaModel model, Map<String, LowRankAdapter> adapters, List<QaExample> examples) {
    double sum = 0;
    double count = 0;
    for (int from = 0; from < examples.size(); from += 16) {
      Batch data = Batch.of(examples.subList(from, Math.min(examples.size(), from + 16)));
      float answerTokens = 0;
      for (float[] row : data.weights) for (float w : row) answerTokens += w;
      try (NDManager scope = model.manager().newSubManager()) {
        NDArray logits = model.forward(scope, data.inputs, ForwardHooks.none().adapters(adapters), null).logits();
        sum += LanguageModelLoss.crossEntropy(scope, logits, data.targets, data.weights).getFloat() * answerTokens;
        count += answerTokens;
      }
    }
    return sum / count;
  }

  /**
   * How many of {@code examples} the model (with {@code adapters}) does not recall: greedy decoding after the
   * example's prompt, for as many tokens as its answer has and a few more, does not state the example's key (the
   * object), the same rule as {@link FactRecall}.
   */
  public static int unrecalled(LlamaModel model, Map<String, LowRankAdapter> adapters, TextTokenizer tokenizer,
      List<QaExample> examples) {
    String[] said = answers(model, adapters, tokenizer, examples);
    int missed = 0;
    for (int i = 0; i < said.length; i++) if (!said[i].contains(key(examples.get(i), tokenizer))) missed++;
    return missed;
  }

  /**
   * The greedy answer to each example's prompt, as many tokens as its answer has and a few more, up to a stop token
   * (decoded side by side, {@link GreedyDecoder}): a 2000-step sleep asks 320 checks in up to three states every 20
   * steps, so batching saves most of the checking time.
   */
  public static String[] answers(LlamaModel model, Map<String, LowRankAdapter> adapters, TextTokenizer tokenizer,
      List<QaExample> examples) {
    List<long[]> prompts = new ArrayList<>(examples.size());
    int[] budgets = new int[examples.size()];
    for (int i = 0; i < examples.size(); i++) {
      QaExample e = examples.get(i);
      prompts.add(Arrays.copyOf(e.tokens(), e.answerStart()));
      budgets[i] = e.length() - e.answerStart() + 4;
    }
    List<long[]> said = GreedyDecoder.decodeAll(model, ForwardHooks.none().lastPositionLogits().adapters(adapters), tokenizer.stopIds(), prompts, budgets);
    String[] out = new String[examples.size()];
    for (int i = 0; i < out.length; i++) out[i] = tokenizer.decode(said.get(i));
    return out;
  }


  /**
   * Per recall check, null when every weight state recalls it, otherwise its miss in the first state that does not
   * ({@code lost} is left false; {@link #report} sets it).
   */
  private static Miss[] missedInAny(LlamaModel model, Conditions conditions, TrainedAdapters adapters, TextTokenizer tokenizer,
      List<QaExample> checks, String[] keys) {
    Miss[] missed = new Miss[checks.size()];
    for (int c = 0; c < conditions.count(); c++) {
      if (conditions.count() > 1) conditions.apply(c);
      List<Integer> open = new ArrayList<>();
      for (int i = 0; i < checks.size(); i++) if (missed[i] == null) open.add(i);
      String[] said = answers(model, adapters.adapters(), tokenizer, open.stream().map(checks::get).toList());
      for (int k = 0; k < said.length; k++) {
        int i = open.get(k);
        if (!said[k].contains(keys[i])) missed[i] = new Miss(i, keys[i], false, c, said[k]);
      }
    }
    return missed;
  }

  static boolean[] flags(Miss[] misses) {
    boolean[] out = new boolean[misses.length];
    for (int i = 0; i < out.length; i++) out[i] = misses[i] != null;
    return out;
  }

  /**
   * The check's misses, each marked lost when every judged state recalled it before the first step and a judged state
   * misses it now, and the count of checks recovered: missed in state 0 before the first step, recalled in every judged
   * state now. {@link #missedInAny} asks the states in order, so a miss's state is below {@code judged} exactly when a
   * judged state misses it.
   *
   * @param atStart the misses before the first step
   */
  static RecallCheck report(int step, Miss[] misses, Miss[] atStart, int judged) {
    List<Miss> out = new ArrayList<>();
    int recovered = 0;
    for (int i = 0; i < misses.length; i++) {
      Miss m = misses[i];
      Miss before = atStart[i];
      boolean judgedMiss = m != null && m.state() < judged;
      boolean keptBefore = before == null || before.state() >= judged;
      if (m != null) out.add(new Miss(m.index(), m.key(), keptBefore && judgedMiss, m.state(), m.answer()));
      if (before != null && before.state() == 0 && !judgedMiss) recovered++;
    }
    return new RecallCheck(step, misses.length, out, recovered);
  }

  private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new java.util.LinkedHashMap<>();
    params.forEach((name, p) -> out.put(name, p.toFloatArray()));
    return out;
  }

  private static int count(boolean[] flags) {
    int n = 0;
    for (boolean b : flags) if (b) n++;
    return n;
  }

  /**
   * Facts with at least one missed check, when the checks come as equal consecutive groups per fact (as
   * {@link QaDataset#recallChecks} builds them); otherwise the missed checks, at most {@code facts}.
   */
  static int factsMissed(boolean[] missed, int facts) {
    if (facts <= 0 || missed.length % facts != 0) return Math.min(facts, count(missed));
    int per = missed.length / facts;
    int n = 0;
    for (int f = 0; f < facts; f++) {
      for (int i = f * per; i < (f + 1) * per; i++) {
        if (missed[i]) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  /**
   * Dropout on the adapter input: each input feature of each adapter is dropped for the whole step
   * with probability p (survivors scaled by 1/(1−p)). The model's adapter hook has no dropout of its
   * own, so the mask is folded into the down factor's rows, which has the same effect on every
   * position of the batch at once.
   */
  private static Map<String, LowRankAdapter> withDropout(TrainedAdapters a, float p, SplittableRandom rng, NDManager scope) {
    if (p == 0) return a.adapters();
    Map<String, LowRankAdapter> out = new LinkedHashMap<>();
    for (String w : a.targets()) {
      NDArray down = a.down(w);
      int in = (int) down.getShape().get(0);
      float[] mask = new float[in];
      for (int i = 0; i < in; i++) mask[i] = rng.nextDouble() < p ? 0f : 1f / (1 - p);
      NDArray dropped = down.mul(scope.create(mask, new Shape(in, 1)));
      dropped.attach(scope);
      out.put(w, new LowRankAdapter(dropped, a.up(w), a.scale()));
    }
    return out;
  }

  /**
   * Indices of the fact examples of each fact a missed check asks: every phrasing, chat and raw (a chat example keys on
   * the whole statement, a raw one on the object it ends with, so one key ends with the other); null when there are
   * none.
   *
   * @param checkKeys {@link #keys} of the recall checks, in the order of {@code missed}
   * @param exampleKeys {@link #keys} of the fact examples
   */
  static int[] examplesOf(boolean[] missed, String[] checkKeys, String[] exampleKeys) {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < missed.length; i++) if (missed[i]) keys.add(checkKeys[i]);
    if (keys.isEmpty()) return null;
    int[] out = new int[exampleKeys.length];
    int n = 0;
    for (int i = 0; i < exampleKeys.length; i++) {
      String e = exampleKeys[i];
      if (keys.stream().anyMatch(k -> k.endsWith(e) || e.endsWith(k))) out[n++] = i;
    }
    return n == 0 ? null : Arrays.copyOf(out, n);
  }

  /** The object each example's key span spells, as recall looks for it in an answer. */
  static String[] keys(List<QaExample> examples, TextTokenizer tokenizer) {
    String[] out = new String[examples.size()];
    for (int i = 0; i < out.length; i++) out[i] = key(examples.get(i), tokenizer);
    return out;
  }

  private static String key(QaExample e, TextTokenizer tokenizer) {
    return tokenizer.decode(Arrays.copyOfRange(e.tokens(), e.keyStart(), e.keyEnd())).strip();
  }

  /** Examples [from, to) visited in a fresh seeded permutation per epoch: every example once before any repeats. */
  private static final class BatchOrder {
    private final int[] perm;
    private final SplittableRandom rng;
    private int next;

    BatchOrder(int from, int to, long seed) {
      this(range(from, to), seed);
    }

    private BatchOrder(int[] pool, long seed) {
      perm = pool;
      rng = new SplittableRandom(seed);
      next = pool.length;
    }

    static BatchOrder of(int[] pool, long seed) {
      return pool == null ? null : new BatchOrder(pool, seed);
    }

    private static int[] range(int from, int to) {
      int[] r = new int[to - from];
      for (int i = 0; i < r.length; i++) r[i] = from + i;
      return r;
    }

    int next() {
      if (next == perm.length) {
        for (int i = perm.length - 1; i > 0; i--) {
          int j = rng.nextInt(i + 1);
          int t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
        }
        next = 0;
      }
      return perm[next++];
    }
  }

  /**
   * Right-padded inputs, next-token targets and answer-only loss weights of a batch; with {@code perExample} each
   * example's answer tokens share a weight of 1, otherwise every answer token weighs 1.
   */
  record Batch(long[][] inputs, long[][] targets, float[][] weights) {
    static Batch of(List<QaExample> examples) {
      return of(examples, false);
    }

    static Batch of(List<QaExample> examples, boolean perExample) {
      int width = 0;
      for (QaExample e : examples) width = Math.max(width, e.length() - 1);
      long[][] in = new long[examples.size()][width];
      long[][] tg = new long[examples.size()][width];
      float[][] w = new float[examples.size()][width];
      for (int b = 0; b < examples.size(); b++) {
        QaExample e = examples.get(b);
        for (int t = 0; t < e.length() - 1; t++) {
          in[b][t] = e.token(t);
          tg[b][t] = e.token(t + 1);
          // Position t predicts token t+1; it counts when that token belongs to the answer.
          if (t + 1 >= e.answerStart()) w[b][t] = perExample ? 1f / (e.length() - e.answerStart()) : 1f;
        }
      }
      return new Batch(in, tg, w);
    }
  }
}
