package io.somnus.engine.sleep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What a sleep's LoRA pass trains and how.
 *
 * @param projections short projection names ({@code q_proj}, {@code k_proj}, {@code v_proj},
 *     {@code o_proj}, {@code gate_proj}, {@code up_proj}, {@code down_proj})
 * @param layers 0-based layers to adapt; empty means every layer (a small model cannot bind a new
 *     subject to its object with adapters on the upper half only: somnus-tiny's chat recall stayed at 0)
 * @param rank adapter rank r
 * @param alpha update scale numerator: the adapter adds {@code (alpha / r) · x·A·B}
 * @param dropout probability of dropping an adapter input feature during a step (0 = off)
 * @param learningRate peak AdamW learning rate
 * @param schedule constant, or cosine decay from the peak to a tenth of it
 * @param minSteps lower bound on the step budget, however few facts there are
 * @param stepsPerFact budget steps per fact still to learn: with {@code stopWhenRecalled}, the facts not recalled before
 *     the first step; otherwise every fact trained (the reference uses 10 per fact trained)
 * @param maxSteps upper bound on the step budget, however many facts there are: the facts of a sleep are learned side
 *     by side (each batch's fact half draws from all of them), so the steps they need grow far slower than their
 *     number, while perplexity drift grows with every step
 * @param batchSize examples per step
 * @param weightDecay decoupled AdamW weight decay on the adapter factors
 * @param clipNorm global gradient-norm clip (0 = off)
 * @param divergenceFactor a step loss above this multiple of what the same batch's examples cost before training (at
 *     least their mean over all examples) counts as divergence
 * @param stopWhenRecalled stop as soon as the adapted model, decoding greedily, states the object after the prompt
 *     of every fact example (every question phrasing and the raw statement), checked before the first step and every
 *     {@link #CHECK_EVERY} steps: the step budget is then a ceiling, not a quota. A sleep whose facts the fused weights
 *     already carry trains nothing instead of spending its budget perturbing a model that needs no change (measured
 *     on somnus-tiny: a second 300-step sleep raised reference perplexity 13–24 % with nothing left to learn).
 *     Greedy decoding, not the teacher-forced probability of the answer tokens: a small model may spell a rare subject
 *     name with other sub-word pieces than the tokenizer's, which teacher forcing scores near 0 although the answer
 *     is right
 * @param trainAroundEdits train with the live MEMIT edits applied at their scales or removed, drawn per step, and
 *     count a fact learned only when recalled both ways (see {@link SleepTraining})
 * @param seed everything random (initialisation, batch order, dropout) derives from it
 */
public record LoraConfig(List<String> projections, List<Integer> layers, int rank, float alpha, float dropout,
    float learningRate, Schedule schedule, int minSteps, int stepsPerFact, int maxSteps, int batchSize,
    float weightDecay, float clipNorm, float divergenceFactor, boolean stopWhenRecalled, boolean trainAroundEdits,
    long seed, float distillWeight, int distillTopK) {

  /** Steps between two checks of {@code stopWhenRecalled}. */
  public static final int CHECK_EVERY = 20;

  public enum Schedule { CONSTANT, COSINE }

  private static final Map<String, String> MODULE_OF = Map.of("q_proj", "self_attn", "k_proj", "self_attn",
      "v_proj", "self_attn", "o_proj", "self_attn", "gate_proj", "mlp", "up_proj", "mlp", "down_proj", "mlp");

  public LoraConfig {
    projections = List.copyOf(projections);
    layers = List.copyOf(layers);
    if (projections.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one projection to adapt");
    for (String p : projections) {
      if (!MODULE_OF.containsKey(p)) throw new IllegalArgumentException("unknown projection '" + p + "'; expected one of " + MODULE_OF.keySet());
    }
    if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
    if (!(alpha > 0)) throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
    if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    if (schedule == null) throw new IllegalArgumentException("schedule is missing");
    if (minSteps <= 0 || stepsPerFact < 0) throw new IllegalArgumentException("step counts must be positive");
    if (maxSteps < minSteps) {
      throw new IllegalArgumentException("step ceiling " + maxSteps + " is below the floor " + minSteps);
    }
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    if (weightDecay < 0 || clipNorm < 0) throw new IllegalArgumentException("weight decay and clip norm must be >= 0");
    if (!(divergenceFactor > 1)) throw new IllegalArgumentException("divergence factor must exceed 1, got " + divergenceFactor);
    if (!(distillWeight >= 0)) throw new IllegalArgumentException("distillation weight must be >= 0, got " + distillWeight);
    if (distillWeight > 0 && distillTopK < 1) throw new IllegalArgumentException("distillation needs top-k >= 1, got " + distillTopK);
  }

  /**
   * Defaults sized for somnus-tiny and models of a few hundred million parameters: every projection of every layer,
   * 2.5e-3 peak, 120 steps per fact to learn, between 300 and 2000. Smaller budgets left batches of new facts unlearned
   * once rehearsal held neighbours, a higher rate cost more of what the model already knew, and a lower ceiling left
   * forty facts unlearned (evaluation/DECISIONS.md, "every projection, 2.5e-3, 120 steps per fact").
   */
  public static LoraConfig defaults() {
    return new LoraConfig(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), List.of(),
        8, 16f, 0.05f, 2.5e-3f, Schedule.COSINE, 300, 120, 2000, 8, 0.01f, 1.0f, 4f, true, true, 0L, 0f, 32);
  }

  /**
   * Factor on the learning rate when a sleep trains again after validation refused its candidate (a sleep policy's
   * retries on refusal): most refusals are a bound missed by little on a sleep that did learn its facts, which a
   * gentler rate often meets (evaluation/DECISIONS.md, "half the rate on a retry").
   */
  public static final float RETRY_LEARNING_RATE_FACTOR = 0.5f;

  /** The settings of a sleep's next attempt after a refused candidate: these at {@link #RETRY_LEARNING_RATE_FACTOR} times the rate. */
  public LoraConfig forRetry() {
    return withLearningRate(learningRate * RETRY_LEARNING_RATE_FACTOR);
  }

  public LoraConfig withLearningRate(float lr) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, lr, schedule, minSteps, stepsPerFact, maxSteps,
        batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  /** The same ceiling, raised to {@code minSteps} if that is above it. */
  public LoraConfig withSteps(int minSteps, int stepsPerFact) {
    return withSteps(minSteps, stepsPerFact, Math.max(minSteps, maxSteps));
  }

  public LoraConfig withSteps(int minSteps, int stepsPerFact, int maxSteps) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  public LoraConfig withSeed(long seed) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  public LoraConfig withStopWhenRecalled(boolean stop) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stop, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  public LoraConfig withTrainAroundEdits(boolean around) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, around, seed, distillWeight, distillTopK);
  }

  public LoraConfig withLayers(List<Integer> layers) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  /**
   * With rehearsal distilled: besides the teacher's answers, the student is pulled towards the teacher's whole answer
   * distribution (its top {@code topK} tokens at each rehearsed position) with this weight; 0 turns it off.
   */
  public LoraConfig withDistillation(float weight, int topK) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, weight, topK);
  }

  /** With LoRA on these projections only (e.g. the MLP's), in {@code layers} (empty: all). */
  public LoraConfig withProjections(List<String> projections) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight,
        distillTopK);
  }

  public LoraConfig withRank(int rank, float alpha) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight,
        distillTopK);
  }

  public LoraConfig withDropout(float dropout) {
    return new LoraConfig(projections, layers, rank, alpha, dropout, learningRate, schedule, minSteps, stepsPerFact,
        maxSteps, batchSize, weightDecay, clipNorm, divergenceFactor, stopWhenRecalled, trainAroundEdits, seed, distillWeight, distillTopK);
  }

  /** Per-model sleep settings beside a checkpoint's {@code config.json}, like {@code memit.json} for the wake. */
  public static final String FILE = "sleep.json";

  /**
   * These settings with what the checkpoint's {@value #FILE} sets, if it has one: {@code projections} and
   * {@code layers} (arrays), {@code rank}, {@code alpha}, {@code distillWeight}, {@code distillTopK}. How much of a
   * model a sleep may move, and how hard it holds on to what the model answered, is measured per model, so a model
   * ships the values measured on it; keys starting with {@code _} are comments, any other unknown key is an error.
   */
  public LoraConfig forCheckpoint(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) return this;
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read sleep settings: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": sleep settings must be a JSON object");
    LoraConfig c = this;
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (e.getKey().startsWith("_")) continue;
      c = switch (e.getKey()) {
        case "projections" -> c.withProjections(strings(file, e.getKey(), v));
        case "layers" -> c.withLayers(strings(file, e.getKey(), v).stream().map(Integer::parseInt).toList());
        case "rank" -> c.withRank(number(file, e.getKey(), v).intValue(), c.alpha());
        case "alpha" -> c.withRank(c.rank(), number(file, e.getKey(), v).floatValue());
        case "distillWeight" -> c.withDistillation(number(file, e.getKey(), v).floatValue(), c.distillTopK());
        case "distillTopK" -> c.withDistillation(c.distillWeight(), number(file, e.getKey(), v).intValue());
        default -> throw new IllegalArgumentException(file + ": unknown sleep setting '" + e.getKey()
            + "' (known: projections, layers, rank, alpha, distillWeight, distillTopK)");
      };
    }
    return c;
  }

  private static List<String> strings(Path file, String key, JsonNode v) {
    if (!v.isArray()) throw new IllegalArgumentException(file + ": " + key + " must be an array, got " + v);
    List<String> out = new java.util.ArrayList<>();
    v.forEach(x -> out.add(x.asText()));
    return out;
  }

  private static Number number(Path file, String key, JsonNode v) {
    if (!v.isNumber()) throw new IllegalArgumentException(file + ": " + key + " must be a number, got " + v);
    return v.numberValue();
  }

  /** The adapter's multiplier α/r. */
  public float scale() {
    return alpha / rank;
  }

  /** The step budget for {@code facts} facts (training may stop earlier, see {@code stopWhenRecalled}). */
  public int steps(int facts) {
    return Math.min(maxSteps, Math.max(minSteps, stepsPerFact * facts));
  }

  /** Learning rate of 0-based {@code step} out of {@code total}. */
  public float learningRate(int step, int total) {
    if (schedule == Schedule.CONSTANT || total <= 1) return learningRate;
    double progress = (double) step / (total - 1);
    double floor = 0.1 * learningRate;
    return (float) (floor + 0.5 * (learningRate - floor) * (1 + Math.cos(Math.PI * progress)));
  }

  /** The layers to adapt for a model of {@code layerCount} layers. */
  public List<Integer> layersFor(int layerCount) {
    if (layers.isEmpty()) {
      List<Integer> all = new ArrayList<>();
      for (int l = 0; l < layerCount; l++) all.add(l);
      return all;
    }
    for (int l : layers) {
      if (l < 0 || l >= layerCount) throw new IllegalArgumentException("LoRA layer " + l + " outside the model's 0.." + (layerCount - 1));
    }
    return layers;
  }

  /** HF names of the weights that get adapters, layer by layer. */
  public List<String> targetWeights(LlamaConfig model) {
    List<String> out = new ArrayList<>();
    for (int l : layersFor(model.numLayers())) {
      for (String p : projections) out.add(LlamaModel.layerWeight(l, MODULE_OF.get(p) + "." + p + ".weight"));
    }
    return out;
  }
}
