package io.somnus.engine.consolidation;

import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import java.util.ArrayList;
import java.util.List;

/**
 * How a sleep trains its low-rank adapters.
 *
 * @param modules projection names inside a layer, e.g. {@code self_attn.q_proj}
 * @param layers layers to adapt; empty means the upper half of the model (MEMIT edits the lower-middle
 *     band, so the two memories write different matrices)
 * @param rank adapter rank r
 * @param alpha LoRA alpha; the adapter's output is scaled by alpha / r
 * @param learningRate constant AdamW learning rate
 * @param epochs passes over the training examples
 * @param batchSize examples per step
 * @param weightDecay decoupled AdamW weight decay
 * @param clipNorm global gradient-norm limit (0 = no clipping)
 * @param seed drives adapter initialisation and example order; same seed, same adapters
 * @param paraphrasesPerFact extra question phrasings trained per fact besides its main question
 * @param divergenceFactor a step loss above this multiple of the first step's loss counts as divergence
 */
public record LoraConfig(List<String> modules, List<Integer> layers, int rank, float alpha, float learningRate,
    int epochs, int batchSize, float weightDecay, float clipNorm, long seed, int paraphrasesPerFact,
    double divergenceFactor) {

  public static final List<String> DEFAULT_MODULES = List.of("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj");

  public LoraConfig {
    modules = List.copyOf(modules);
    layers = List.copyOf(layers);
    if (modules.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
    if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
    if (!(alpha > 0)) throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    if (epochs <= 0 || batchSize <= 0) throw new IllegalArgumentException("epochs and batch size must be positive");
    if (weightDecay < 0 || clipNorm < 0) throw new IllegalArgumentException("weight decay and clip norm must be >= 0");
    if (paraphrasesPerFact < 0) throw new IllegalArgumentException("paraphrasesPerFact must be >= 0");
    if (!(divergenceFactor > 1)) throw new IllegalArgumentException("divergenceFactor must be > 1, got " + divergenceFactor);
  }

  public static LoraConfig defaults() {
    return new LoraConfig(DEFAULT_MODULES, List.of(), 8, 16f, 1e-2f, 20, 8, 0f, 1f, 1234L, 2, 3.0);
  }

  /** Multiplier of the adapter's output, alpha / r. */
  public float scale() {
    return alpha / rank;
  }

  /** HF names of the adapted weights of a model with this config, in layer then module order. */
  public List<String> weightNames(LlamaConfig model) {
    List<Integer> chosen = layers;
    if (chosen.isEmpty()) {
      List<Integer> upper = new ArrayList<>();
      for (int l = model.numLayers() / 2; l < model.numLayers(); l++) upper.add(l);
      chosen = upper;
    }
    List<String> names = new ArrayList<>();
    for (int l : chosen) {
      if (l < 0 || l >= model.numLayers()) throw new IllegalArgumentException("LoRA layer " + l + " outside 0.." + (model.numLayers() - 1));
      for (String m : modules) names.add(LlamaModel.layerWeight(l, m + ".weight"));
    }
    return names;
  }

  public LoraConfig withLearningRate(float lr) {
    return new LoraConfig(modules, layers, rank, alpha, lr, epochs, batchSize, weightDecay, clipNorm, seed, paraphrasesPerFact, divergenceFactor);
  }

  public LoraConfig withEpochs(int n) {
    return new LoraConfig(modules, layers, rank, alpha, learningRate, n, batchSize, weightDecay, clipNorm, seed, paraphrasesPerFact, divergenceFactor);
  }

  public LoraConfig withSeed(long s) {
    return new LoraConfig(modules, layers, rank, alpha, learningRate, epochs, batchSize, weightDecay, clipNorm, s, paraphrasesPerFact, divergenceFactor);
  }

  public LoraConfig withRank(int r, float a) {
    return new LoraConfig(modules, layers, r, a, learningRate, epochs, batchSize, weightDecay, clipNorm, seed, paraphrasesPerFact, divergenceFactor);
  }
}
