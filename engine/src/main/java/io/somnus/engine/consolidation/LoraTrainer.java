package io.somnus.engine.consolidation;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.train.AdamW;
import io.somnus.engine.train.LanguageModelLoss;
import io.somnus.engine.train.TrainingDivergedException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains low-rank adapters on chat Q&A with DJL autograd while the model itself stays frozen: only
 * the adapter factors require gradients, and the model's weights are never written. The result is
 * copied to host memory; everything created on the device is freed before returning.
 *
 * <p>Deterministic: adapter initialisation and example order come from the config's seed.
 */
public final class LoraTrainer {

  /** Called after every optimizer step. */
  public interface Listener {
    void onStep(int step, int totalSteps, double loss);
  }

  public record Result(List<TrainedAdapter> adapters, List<Double> losses, int examples, int answerTokens, double seconds) {
    public double firstLoss() {
      return losses.isEmpty() ? Double.NaN : losses.get(0);
    }

    public double lastLoss() {
      return losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1);
    }
  }

  /** A tokenised example: the full conversation and where the answer starts. */
  record Encoded(long[] ids, int answerStart) {}

  private LoraTrainer() {}

  public static Result train(ModelRuntime rt, List<QaExample> examples, LoraConfig cfg, Listener listener) {
    if (examples.isEmpty()) throw new IllegalArgumentException("no training examples");
    long started = System.nanoTime();
    LlamaModel model = rt.model();
    List<Encoded> encoded = new ArrayList<>();
    int answerTokens = 0;
    for (QaExample e : examples) {
      Encoded enc = encode(rt.tokenizer(), e, rt.config().maxPositionEmbeddings());
      encoded.add(enc);
      answerTokens += enc.ids().length - enc.answerStart();
    }
    List<String> targets = cfg.weightNames(rt.config());
    int batchesPerEpoch = (encoded.size() + cfg.batchSize() - 1) / cfg.batchSize();
    int totalSteps = batchesPerEpoch * cfg.epochs();
    List<Double> losses = new ArrayList<>();
    try (NDManager root = model.manager().newSubManager();
        AdamW opt = new AdamW(root, 0.9f, 0.999f, 1e-8f, cfg.weightDecay())) {
      Random rng = new Random(cfg.seed());
      Map<String, NDArray> params = new LinkedHashMap<>();
      Map<String, LowRankAdapter> adapters = new LinkedHashMap<>();
      for (String name : targets) {
        long[] shape = model.weight(name).getShape().getShape(); // [out, in]
        int out = (int) shape[0];
        int in = (int) shape[1];
        // PEFT's initialisation: down uniform with bound 1/sqrt(in) keeps x·down at unit scale;
        // up = 0 makes the adapted model start exactly at the base model.
        float bound = (float) (1 / Math.sqrt(in));
        float[] d = new float[in * cfg.rank()];
        for (int i = 0; i < d.length; i++) d[i] = (rng.nextFloat() * 2 - 1) * bound;
        NDArray down = root.create(d, new Shape(in, cfg.rank()));
        NDArray up = root.zeros(new Shape(cfg.rank(), out));
        down.setRequiresGradient(true);
        up.setRequiresGradient(true);
        params.put(name + "#down", down);
        params.put(name + "#up", up);
        adapters.put(name, new LowRankAdapter(down, up, cfg.scale()));
      }
      List<NDArray> list = new ArrayList<>(params.values());
      ForwardHooks hooks = ForwardHooks.none().adapters(adapters);
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < encoded.size(); i++) order.add(i);
      int step = 0;
      double firstLoss = Double.NaN;
      for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
        Collections.shuffle(order, rng);
        for (int b = 0; b < batchesPerEpoch; b++) {
          List<Encoded> batch = new ArrayList<>();
          for (int i = b * cfg.batchSize(); i < Math.min(order.size(), (b + 1) * cfg.batchSize()); i++) batch.add(encoded.get(order.get(i)));
          double loss;
          try (NDManager scope = root.newSubManager()) {
            Batch t = Batch.of(batch);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
              NDArray logits = model.forward(scope, t.inputs(), hooks, null).logits();
              NDArray l = LanguageModelLoss.crossEntropy(scope, logits, t.targets(), t.weights());
              loss = l.getFloat();
              if (!Double.isFinite(loss)) throw new TrainingDivergedException(step, loss, "LoRA loss");
              if (step == 0) firstLoss = loss;
              else if (loss > cfg.divergenceFactor() * firstLoss) throw new TrainingDivergedException(step, loss, "LoRA loss (first step " + firstLoss + ")");
              gc.backward(l);
            }
            double norm = AdamW.clipGlobalNorm(list, cfg.clipNorm());
            if (!Double.isFinite(norm)) throw new TrainingDivergedException(step, norm, "LoRA gradient norm");
            opt.update(params, cfg.learningRate(), n -> true);
          }
          step++;
          losses.add(loss);
          if (listener != null) listener.onStep(step, totalSteps, loss);
        }
      }
      List<TrainedAdapter> trained = new ArrayList<>();
      for (String name : targets) {
        LowRankAdapter a = adapters.get(name);
        long[] ds = a.down().getShape().getShape();
        long[] us = a.up().getShape().getShape();
        float[] d = a.down().toFloatArray();
        float[] u = a.up().toFloatArray();
        for (float x : d) if (!Float.isFinite(x)) throw new TrainingDivergedException(step, x, "adapter " + name);
        for (float x : u) if (!Float.isFinite(x)) throw new TrainingDivergedException(step, x, "adapter " + name);
        trained.add(new TrainedAdapter(name, (int) ds[0], (int) us[1], (int) ds[1], cfg.scale(), d, u));
      }
      return new Result(List.copyOf(trained), List.copyOf(losses), examples.size(), answerTokens, (System.nanoTime() - started) / 1e9);
    }
  }

  /**
   * The conversation (question, answer) with the answer's first token index: the prompt with an open
   * assistant turn is encoded alone, and everything after it, including the end-of-turn token, is
   * the answer that carries loss (so that the model also learns to stop).
   */
  static Encoded encode(TextTokenizer tok, QaExample e, int maxLength) {
    long[] prompt = tok.encodeChat(List.of(ChatMessage.user(e.question())), true);
    long[] full = tok.encodeChat(List.of(ChatMessage.user(e.question()), ChatMessage.assistant(e.answer())), false);
    if (full.length <= prompt.length || !Arrays.equals(prompt, Arrays.copyOf(full, prompt.length))) {
      throw new IllegalStateException("the chat format does not extend the generation prompt for '" + e.question()
          + "'; answer tokens cannot be separated from the prompt");
    }
    if (full.length > maxLength) {
      throw new IllegalArgumentException("example '" + e.question() + "' is " + full.length + " tokens, the model takes " + maxLength);
    }
    return new Encoded(full, prompt.length);
  }

  /** Right-padded inputs, next-token targets and answer-only weights of one batch. */
  record Batch(long[][] inputs, long[][] targets, float[][] weights) {
    static Batch of(List<Encoded> rows) {
      int width = 0;
      for (Encoded r : rows) width = Math.max(width, r.ids().length - 1);
      long[][] in = new long[rows.size()][width];
      long[][] tg = new long[rows.size()][width];
      float[][] w = new float[rows.size()][width];
      for (int b = 0; b < rows.size(); b++) {
        long[] ids = rows.get(b).ids();
        for (int t = 0; t < ids.length - 1; t++) {
          in[b][t] = ids[t];
          tg[b][t] = ids[t + 1];
          // position t predicts token t+1: loss where t+1 is an answer token
          if (t + 1 >= rows.get(b).answerStart()) w[b][t] = 1f;
        }
      }
      return new Batch(in, tg, w);
    }
  }
}
