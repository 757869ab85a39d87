package io.somnus.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.model.WeightInit;
import io.somnus.engine.train.LanguageModelLoss;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Engine speed on this machine: forward throughput, prefill and per-token decode latency, one
 * training step (forward + backward over all weights), and peak resident memory. Prints median,
 * min and max over repetitions after warm-up. A command, never a timed unit test.
 *
 * <p>Usage: {@code EngineBenchmark [--device cpu|gpu] [--reps N]}.
 */
public final class EngineBenchmark {
  record Shape(String name, LlamaConfig config, int batch, int prompt, int decode) {}

  public static void main(String[] args) {
    Locale.setDefault(Locale.ROOT);
    int reps = 5;
    Device device = Runtimes.preferredDevice();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--reps")) reps = Integer.parseInt(args[++i]);
      if (args[i].equals("--device")) device = args[++i].equals("gpu") ? Device.gpu() : Device.cpu();
    }
    Runtimes.configureOffline();
    List<Shape> shapes = List.of(
        new Shape("4 layers, d=256 (somnus-tiny class)",
            LlamaConfig.llama(4096, 256, 768, 4, 4, 4, 2048, true, DType.F32, 0, 0), 8, 128, 32),
        new Shape("1 layer, d=2048 (one layer of a 1B-class Llama: ffn 8192, 32 heads, 8 kv heads, vocab 32k)",
            LlamaConfig.llama(32000, 2048, 8192, 1, 32, 8, 2048, false, DType.F32, 0, 0), 1, 128, 16));
    System.out.printf("engine benchmark on %s, %d intra-op threads, %d reps after warm-up%n", device,
        Runtime.getRuntime().availableProcessors(), reps);
    for (Shape s : shapes) run(s, device, reps);
    System.out.printf("peak resident memory of this process: %.0f MiB%n", peakRssMiB());
  }

  static void run(Shape s, Device device, int reps) {
    LlamaConfig c = s.config();
    System.out.printf("%n== %s: %,d parameters ==%n", s.name(), c.parameterCount());
    try (LlamaModel model = LlamaModel.fromHost(c, WeightInit.random(c, 1, 0.02, false), device);
        NDManager m = model.manager().newSubManager()) {
      long[][] prompt = tokens(s.batch(), s.prompt(), c.vocabSize());
      double[] fwd = time(reps, () -> {
        try (NDManager sub = m.newSubManager()) {
          model.forward(sub, prompt, ForwardHooks.none(), null).logits().toFloatArray();
        }
      });
      long tokens = (long) s.batch() * s.prompt();
      report("forward " + s.batch() + "×" + s.prompt() + " tokens", fwd);
      System.out.printf("  forward throughput: %.0f tokens/s (median)%n", tokens / median(fwd));
      long[][] one = tokens(1, s.prompt(), c.vocabSize());
      double[] prefill = time(reps, () -> {
        try (NDManager sub = m.newSubManager(); KvCache cache = new KvCache(sub, c.numLayers())) {
          model.forward(sub, one, ForwardHooks.none(), cache).logits().toFloatArray();
        }
      });
      report("prefill 1×" + s.prompt(), prefill);
      double[] decode = time(reps, () -> {
        try (NDManager sub = m.newSubManager(); KvCache cache = new KvCache(sub, c.numLayers())) {
          model.forward(sub, one, ForwardHooks.none(), cache);
          long[][] next = {{1}};
          long t0 = System.nanoTime();
          for (int i = 0; i < s.decode(); i++) {
            ForwardResult r = model.forward(sub, next, ForwardHooks.none(), cache);
            next[0][0] = r.logits().argMax(-1).toLongArray()[0];
          }
          lastDecodeNanos = (System.nanoTime() - t0) / s.decode();
        }
      }, true);
      report("decode, per token (KV cache, after a " + s.prompt() + "-token prompt)", decode);
      model.setTrainable(true);
      long[][] targets = tokens(s.batch(), s.prompt(), c.vocabSize());
      float[][] w = new float[s.batch()][s.prompt()];
      for (float[] row : w) Arrays.fill(row, 1f);
      double[] step = time(Math.max(2, reps / 2), () -> {
        try (NDManager sub = m.newSubManager(); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          ForwardResult r = model.forward(sub, prompt, ForwardHooks.none(), null);
          NDArray loss = LanguageModelLoss.crossEntropy(sub, r.logits(), targets, w);
          gc.backward(loss);
        }
        for (NDArray p : model.weights().values()) {
          try (NDArray g = p.getGradient()) {
            g.muli(0);
          }
        }
      });
      model.setTrainable(false);
      report("gradient step (forward + backward, all weights) " + s.batch() + "×" + s.prompt(), step);
    }
  }

  private static long lastDecodeNanos;

  private static double[] time(int reps, Runnable r) {
    return time(reps, r, false);
  }

  /** Seconds per repetition; with {@code perToken} the body reports its own per-token time. */
  private static double[] time(int reps, Runnable r, boolean perToken) {
    r.run(); // warm-up: first calls pay for kernel selection and allocation
    double[] out = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r.run();
      out[i] = (perToken ? lastDecodeNanos : System.nanoTime() - t0) / 1e9;
    }
    return out;
  }

  private static void report(String what, double[] seconds) {
    double[] s = seconds.clone();
    Arrays.sort(s);
    System.out.printf("  %-70s median %8.2f ms   min %8.2f   max %8.2f%n", what, s[s.length / 2] * 1e3, s[0] * 1e3,
        s[s.length - 1] * 1e3);
  }

  private static double median(double[] seconds) {
    double[] s = seconds.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static long[][] tokens(int b, int t, int vocab) {
    SplittableRandom r = new SplittableRandom(b * 31L + t);
    long[][] out = new long[b][t];
    for (long[] row : out) for (int i = 0; i < t; i++) row[i] = r.nextInt(vocab);
    return out;
  }

  /** Peak resident set (VmHWM) from /proc: includes native libtorch memory, which the JVM heap does not. */
  static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
      }
    } catch (Exception ignored) {
      // Not Linux: fall back to the heap figure below.
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
  }
}
