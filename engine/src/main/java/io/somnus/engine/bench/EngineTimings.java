package io.somnus.engine.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.train.LanguageModelLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The engine's side of the benchmark, run in a process of its own (so that its peak memory is its
 * own): loads a checkpoint through the product's loader and times forward, prefill, decode and a
 * gradient step at each thread count, printing one JSON line per result. {@link EngineBenchmark} starts it.
 */
public final class EngineTimings {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EngineTimings() {}

  /** Arguments: --checkpoint DIR --shape NAME --threads 1,2 --reps N --metrics forward,prefill,decode,step --device cpu|gpu. */
  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Args a = Args.parse(args);
    Runtimes.configureOffline();
    Device device = a.device();
    BenchShape shape = BenchShape.ALL.get(a.get("shape"));
    Engine.getEngine("PyTorch"); // libtorch's own start-up is not the load (Python's import torch is not timed either)
    long t0 = System.nanoTime();
    try (LlamaModel model = LlamaModel.load(Path.of(a.get("checkpoint")), device)) {
      emit(base(shape).put("event", "load").put("load_s", (System.nanoTime() - t0) / 1e9)
          .put("libtorch", Engine.getEngine("PyTorch").getVersion()).put("java", Runtime.version().toString()));
      new EngineTimings.Run(model, shape, a).all();
    }
    emit(base(shape).put("event", "peak").put("peak_rss_mib", peakRssMiB()));
  }

  private record Run(LlamaModel model, BenchShape shape, Args a) {
    void all() {
      LlamaConfig c = model.config();
      long[][] batch = BenchShape.tokens(shape.batch(), shape.prompt(), c.vocabSize());
      long[][] one = {batch[0]};
      try (NDManager m = model.manager().newSubManager()) {
        float[] logits = model.forward(m, one, ForwardHooks.none().lastPositionLogits(), null).logits().toFloatArray();
        ObjectNode check = base(shape).put("event", "check");
        var values = check.putArray("logits");
        for (int i = 0; i < 8; i++) values.add(logits[i]);
        emit(check);
      }
      List<String> metrics = a.list("metrics");
      for (String threads : a.list("threads")) {
        JniUtils.setNumThreads(Integer.parseInt(threads));
        if (metrics.contains("forward")) record("forward", Timing.of(a.reps(), () -> {
          try (NDManager m = model.manager().newSubManager()) {
            sync(model.forward(m, batch, ForwardHooks.none(), null).logits());
          }
          return null;
        }));
        if (metrics.contains("prefill")) record("prefill", Timing.of(a.reps(), () -> {
          try (NDManager m = model.manager().newSubManager(); KvCache cache = new KvCache(m, c.numLayers())) {
            sync(model.forward(m, one, ForwardHooks.none().lastPositionLogits(), cache).logits());
          }
          return null;
        }));
        if (metrics.contains("decode")) record("decode", Timing.of(a.reps(), this::decode));
        if (metrics.contains("step")) step(batch);
      }
    }

    /** Seconds per token after the prompt, greedy. */
    private double[] decode() {
      LlamaConfig c = model.config();
      try (NDManager m = model.manager().newSubManager(); KvCache cache = new KvCache(m, c.numLayers())) {
        long[][] prompt = {BenchShape.tokens(1, shape.prompt(), c.vocabSize())[0]};
        NDArray logits = model.forward(m, prompt, ForwardHooks.none().lastPositionLogits(), cache).logits();
        sync(logits);
        Timing.Clocks start = Timing.Clocks.now();
        for (int i = 0; i < shape.decode(); i++) {
          long next;
          try (NDArray best = logits.argMax(-1)) {
            next = best.toLongArray()[0];
          }
          try (NDManager step = m.newSubManager()) {
            logits = model.forward(step, new long[][] {{next}}, ForwardHooks.none().lastPositionLogits(), cache).logits();
            logits.attach(m);
          }
        }
        sync(logits);
        return start.since(shape.decode());
      }
    }

    private void step(long[][] batch) {
      LlamaConfig c = model.config();
      long[][] targets = new long[batch.length][];
      long[][] shifted = BenchShape.tokens(batch.length, shape.prompt() + 1, c.vocabSize());
      for (int b = 0; b < batch.length; b++) targets[b] = Arrays.copyOfRange(shifted[b], 1, shape.prompt() + 1);
      float[][] weights = new float[batch.length][shape.prompt()];
      for (float[] row : weights) Arrays.fill(row, 1f);
      model.setTrainable(true);
      try {
        record("step", Timing.of(a.reps(), () -> {
          try (NDManager m = model.manager().newSubManager(); GradientCollector gc = model.manager().getEngine().newGradientCollector()) {
            ForwardResult r = model.forward(m, batch, ForwardHooks.none(), null);
            gc.backward(LanguageModelLoss.crossEntropy(m, r.logits(), targets, weights));
          }
          for (NDArray w : model.weights().values()) JniUtils.zeroGrad((PtNDArray) w);
          return null;
        }));
      } finally {
        model.setTrainable(false);
      }
    }

    private void record(String metric, Timing t) {
      ObjectNode n = base(shape).put("threads", JniUtils.getNumThreads()).put("metric", metric);
      var wall = n.putArray("wall_s");
      var thread = n.putArray("thread_cpu_s");
      var process = n.putArray("process_cpu_s");
      for (int i = 0; i < t.wall().length; i++) {
        wall.add(t.wall()[i]);
        thread.add(t.threadCpu()[i]);
        process.add(t.processCpu()[i]);
      }
      emit(n);
    }

    /** Waits for queued device work by reading one value (CPU ops are synchronous already). */
    private void sync(NDArray a) {
      if (model.device().isGpu()) a.get(0).flatten().get(0).getFloat();
    }
  }

  private static ObjectNode base(BenchShape shape) {
    return JSON.createObjectNode().put("impl", "engine").put("shape", shape.name());
  }

  private static void emit(ObjectNode line) throws RuntimeException {
    System.out.println(line);
    System.out.flush();
  }

  /** Peak resident set (VmHWM): libtorch's native memory included, which the JVM's figures leave out. */
  static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status (not Linux?)");
  }
}
