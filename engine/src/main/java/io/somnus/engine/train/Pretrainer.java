package io.somnus.engine.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Full-parameter next-token training of a {@link LlamaModel} on a token stream: AdamW, linear
 * warm-up then cosine decay, global-norm gradient clipping, and a resumable state file so that an
 * interrupted build continues where it stopped instead of starting over.
 *
 * <p>Batches are random windows of the stream drawn from a generator seeded by (seed, step), so a
 * resumed run sees exactly the batches the uninterrupted run would have seen.
 */
public final class Pretrainer {

  public record Settings(int batchSize, int sequenceLength, long steps, float peakLr, float minLr, int warmupSteps,
      float weightDecay, float clipNorm, long seed, int checkpointEvery) {
    public Settings {
      if (batchSize <= 0 || sequenceLength < 2 || steps <= 0) throw new IllegalArgumentException("empty training run");
      if (!(peakLr > 0) || minLr < 0 || minLr > peakLr) throw new IllegalArgumentException("bad learning rates " + peakLr + "/" + minLr);
    }

    public long tokensPerStep() {
      return (long) batchSize * sequenceLength;
    }
  }

  /** Called after every step; {@code loss} is that step's mean token loss. */
  public interface Listener {
    void onStep(long step, long totalSteps, double loss, float lr);
  }

  public record Result(long steps, long tokensSeen, double finalLoss, long resumedFromStep, double seconds) {}

  private static final String STATE_FILE = "train-state.safetensors";

  private Pretrainer() {}

  /** Learning rate at {@code step}: linear warm-up, then cosine from peak to min over the remaining steps. */
  public static float learningRate(Settings s, long step) {
    if (step < s.warmupSteps()) return s.peakLr() * (step + 1) / s.warmupSteps();
    double progress = (double) (step - s.warmupSteps()) / Math.max(1, s.steps() - s.warmupSteps());
    return (float) (s.minLr() + 0.5 * (s.peakLr() - s.minLr()) * (1 + Math.cos(Math.PI * Math.min(1, progress))));
  }

  /**
   * Trains {@code model} in place. {@code stateDir} holds the resumable state; a state from a run
   * with a different fingerprint is ignored (and overwritten), never half-applied.
   */
  public static Result train(LlamaModel model, int[] stream, Settings s, Path stateDir, String fingerprint, Listener listener) {
    if (stream.length <= s.sequenceLength() + 1) {
      throw new IllegalArgumentException("token stream of " + stream.length + " is shorter than one window");
    }
    long started = System.nanoTime();
    Map<String, NDArray> params = new LinkedHashMap<>(model.weights());
    model.setTrainable(true);
    List<NDArray> list = new ArrayList<>(params.values());
    double lastLoss = Double.NaN;
    long firstStep = 0;
    try (NDManager root = model.manager().newSubManager(); AdamW opt = AdamW.standard(root, s.weightDecay())) {
      firstStep = restore(model, opt, params, stateDir, fingerprint);
      for (long step = firstStep; step < s.steps(); step++) {
        SplittableRandom rng = new SplittableRandom(s.seed() * 1_000_003L + step);
        long[][] inputs = new long[s.batchSize()][s.sequenceLength()];
        long[][] targets = new long[s.batchSize()][s.sequenceLength()];
        float[][] weights = new float[s.batchSize()][s.sequenceLength()];
        for (int b = 0; b < s.batchSize(); b++) {
          int start = rng.nextInt(stream.length - s.sequenceLength() - 1);
          for (int t = 0; t < s.sequenceLength(); t++) {
            inputs[b][t] = stream[start + t];
            targets[b][t] = stream[start + t + 1];
            weights[b][t] = 1f;
          }
        }
        float lr = learningRate(s, step);
        try (NDManager scope = root.newSubManager()) {
          try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
            ForwardResult r = model.forward(scope, inputs, ForwardHooks.none(), null);
            NDArray loss = LanguageModelLoss.crossEntropy(scope, r.logits(), targets, weights);
            lastLoss = loss.getFloat();
            if (!Double.isFinite(lastLoss)) throw new TrainingDivergedException(step, lastLoss, "loss");
            gc.backward(loss);
          }
          double norm = AdamW.clipGlobalNorm(list, s.clipNorm());
          if (!Double.isFinite(norm)) throw new TrainingDivergedException(step, norm, "gradient norm");
          opt.update(params, lr, Pretrainer::decays);
        }
        if (listener != null) listener.onStep(step + 1, s.steps(), lastLoss, lr);
        boolean last = step + 1 == s.steps();
        if (stateDir != null && s.checkpointEvery() > 0 && !last && (step + 1) % s.checkpointEvery() == 0) {
          save(model, opt, stateDir, fingerprint, step + 1);
        }
      }
    } finally {
      model.setTrainable(false);
    }
    if (stateDir != null) {
      try {
        Files.deleteIfExists(stateDir.resolve(STATE_FILE));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    long trained = s.steps() - firstStep;
    return new Result(s.steps(), s.steps() * s.tokensPerStep(), lastLoss, firstStep, (System.nanoTime() - started) / 1e9);
  }

  /** Norm gains and biases are not decayed: shrinking them only fights the normalisation. */
  static boolean decays(String name) {
    return !name.endsWith("norm.weight") && !name.endsWith(".bias");
  }

  private static void save(LlamaModel model, AdamW opt, Path dir, String fingerprint, long step) {
    List<HostTensor> all = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
      all.add(new HostTensor("w." + e.getKey(), DType.F32, e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    for (Map.Entry<String, NDArray> e : opt.state().entrySet()) {
      all.add(new HostTensor("o." + e.getKey(), DType.F32, e.getValue().getShape().getShape(), e.getValue().toFloatArray()));
    }
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(STATE_FILE + ".tmp");
      SafeTensors.write(tmp, all, Map.of("fingerprint", fingerprint, "step", Long.toString(step)));
      Files.move(tmp, dir.resolve(STATE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save training state in " + dir, e);
    }
  }

  private static long restore(LlamaModel model, AdamW opt, Map<String, NDArray> params, Path dir, String fingerprint) {
    if (dir == null) return 0;
    Path file = dir.resolve(STATE_FILE);
    if (!Files.isRegularFile(file)) return 0;
    try (SafeTensors st = SafeTensors.open(file)) {
      if (!fingerprint.equals(st.metadata().get("fingerprint"))) return 0;
      long step = Long.parseLong(st.metadata().get("step"));
      Map<String, float[]> optState = new LinkedHashMap<>();
      for (String name : st.names()) {
        HostTensor t = st.read(name);
        if (name.startsWith("w.")) {
          String w = name.substring(2);
          try (NDManager tmp = model.manager().newSubManager()) {
            model.setWeight(w, tmp.create(t.data(), model.weight(w).getShape()));
          }
        } else if (name.startsWith("o.")) {
          optState.put(name.substring(2), t.data());
        }
      }
      opt.restore(step, optState, params);
      return step;
    }
  }
}
