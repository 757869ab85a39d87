package io.somnus.engine.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.util.cuda.CudaUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LibtorchInfo;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.model.TextTokenizer;
import io.somnus.engine.model.WeightInit;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.sleep.LoraTrainer;
import io.somnus.engine.sleep.QaExample;
import io.somnus.engine.tiny.BpeTokenizerTrainer;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The engine's sleep-time work timed on one Llama shape with random weights: a batch forward pass, per-token decode
 * with a KV cache, one MEMIT edit ({@link MemitEditor#compute}: v* plus the layer-by-layer spread) and LoRA training
 * steps ({@link LoraTrainer#train}). Default shape: Llama-3.2-1B (16 layers, d=2048, ffn 8192, 32 heads, 8 KV heads,
 * vocab 128256, tied embeddings). A command, never a timed unit test; scripts/gpu/device-check.sh runs it next to
 * scripts/gpu/torch_reference.py, which reads the workload this writes (same shape, same token ids) and times the
 * same work in plain PyTorch.
 *
 * <p>MEMIT runs with a fixed number of v* steps (no early stop, no facts skipped, no residual boosts), so both sides
 * do the same number of passes on random weights, and with the diagonal key covariance: the full m×m one is
 * factored on the host in Java, which on a 1B model's 8192-wide MLP would time the JVM rather than the device.
 *
 * <p>Usage: {@code SleepStepBenchmark [--device cpu|gpu|auto] [--shape llama-1b|tiny] [--layers N --hidden D
 * --ffn F --heads H --kv-heads K --vocab V] [--batch 8 --prompt 128 --decode 32 --reps 5] [--facts 4 --v-steps 40
 * --memit-reps 2] [--lora-steps 12] [--workload FILE] [--results FILE]}.
 */
public final class SleepStepBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The command line, with the Llama-3.2-1B shape as default. */
  record Options(String device, int layers, int hidden, int ffn, int heads, int kvHeads, int vocab, int batch, int prompt,
      int decode, int reps, int facts, int vSteps, int memitReps, int loraSteps, Path workload, Path results) {

    static Options parse(String[] args) {
      String device = "auto";
      int[] shape = {16, 2048, 8192, 32, 8, 128256};
      int batch = 8, prompt = 128, decode = 32, reps = 5, facts = 4, vSteps = 40, memitReps = 2, loraSteps = 12;
      Path workload = null, results = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
        String v = args[++i];
        switch (a) {
          case "--device" -> device = v;
          case "--shape" -> shape = switch (v) {
            case "llama-1b" -> new int[] {16, 2048, 8192, 32, 8, 128256};
            case "tiny" -> new int[] {4, 256, 768, 4, 4, 4096};
            default -> throw new IllegalArgumentException("--shape must be llama-1b or tiny, got '" + v + "'");
          };
          case "--layers" -> shape[0] = positive(a, v);
          case "--hidden" -> shape[1] = positive(a, v);
          case "--ffn" -> shape[2] = positive(a, v);
          case "--heads" -> shape[3] = positive(a, v);
          case "--kv-heads" -> shape[4] = positive(a, v);
          case "--vocab" -> shape[5] = positive(a, v);
          case "--batch" -> batch = positive(a, v);
          case "--prompt" -> prompt = positive(a, v);
          case "--decode" -> decode = positive(a, v);
          case "--reps" -> reps = positive(a, v);
          case "--facts" -> facts = positive(a, v);
          case "--v-steps" -> vSteps = positive(a, v);
          case "--memit-reps" -> memitReps = positive(a, v);
          case "--lora-steps" -> loraSteps = positive(a, v);
          case "--workload" -> workload = Path.of(v);
          case "--results" -> results = Path.of(v);
          default -> throw new IllegalArgumentException("unknown option " + a + " (see the class comment for the options)");
        }
      }
      if (loraSteps < 2) throw new IllegalArgumentException("--lora-steps must be at least 2 (the first step is a warm-up)");
      return new Options(device, shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], batch, prompt, decode, reps,
          facts, vSteps, memitReps, loraSteps, workload, results);
    }

    private static int positive(String option, String value) {
      try {
        int n = Integer.parseInt(value);
        if (n > 0) return n;
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(option + " must be a positive integer, got '" + value + "'");
    }
  }

  /** One timed measurement: seconds per repetition. */
  record Timing(String name, String what, double[] seconds) {
    double median() {
      double[] s = seconds.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }

    double min() {
      return Arrays.stream(seconds).min().orElse(Double.NaN);
    }

    double max() {
      return Arrays.stream(seconds).max().orElse(Double.NaN);
    }
  }

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    Options o = Options.parse(args);
    Device device = Runtimes.device(o.device(), "--device");
    LlamaConfig c = LlamaConfig.llama(o.vocab(), o.hidden(), o.ffn(), o.layers(), o.heads(), o.kvHeads(), 2048, true, DType.F32, 0, 2);
    LibtorchInfo info = LibtorchInfo.probe();
    System.out.printf("sleep-step benchmark on %s: libtorch %s (%s)%n", device, info.version(), info.libraryDir());
    System.out.printf("shape: %d layers, d=%d, ffn %d, %d heads, %d KV heads, vocab %d, tied embeddings: %,d parameters, float32%n",
        o.layers(), o.hidden(), o.ffn(), o.heads(), o.kvHeads(), o.vocab(), c.parameterCount());

    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path tokenizerDir = Files.createTempDirectory("somnus-bench-tokenizer");
    BpeTokenizerTrainer.write(BpeTokenizerTrainer.train(world.corpus(1), 1024), tokenizerDir, 512);
    List<Timing> timings = new ArrayList<>();
    long t0 = System.nanoTime();
    TextTokenizer tokenizer = TextTokenizer.load(tokenizerDir, List.of(2));
    try (DjlModelRuntime rt = new DjlModelRuntime(LlamaModel.fromHost(c, WeightInit.random(c, 1, 0.02, false), device), tokenizer,
        tokenizerDir)) {
      LlamaModel model = rt.model();
      System.out.printf("random weights on %s in %.1f s%n", device, (System.nanoTime() - t0) / 1e9);
      long[][] batch = tokens(o.batch(), o.prompt(), c.vocabSize(), 11);
      timings.add(forward(model, batch, o.reps()));
      timings.add(decode(model, batch[0], o.decode(), o.reps()));
      List<Fact> facts = world.heldOutFacts().subList(0, o.facts()).stream().map(WorldFact::fact).toList();
      timings.add(memitEdit(rt, facts, o));
      long[][] loraTokens = tokens(o.batch(), o.prompt(), c.vocabSize(), 17);
      timings.add(loraStep(model, tokenizer, loraTokens, o));
      if (o.workload() != null) writeWorkload(o, c, rt, facts, batch, loraTokens);
      if (device.isGpu()) {
        try {
          var mem = CudaUtils.getGpuMemory(device);
          System.out.printf("GPU memory in use at the end (cudaMemGetInfo, whole device): %.0f MiB of %.0f MiB%n",
              mem.getUsed() / 1048576.0, mem.getMax() / 1048576.0);
        } catch (RuntimeException e) {
          System.out.println("GPU memory in use: unknown (DJL's CUDA probe found no libcudart: " + e.getMessage() + ")");
        }
      }
    } finally {
      deleteTree(tokenizerDir);
    }
    System.out.printf("peak resident memory of this process: %.0f MiB%n", EngineTimings.peakRssMiB());
    if (o.results() != null) writeResults(o.results(), device, info, c, timings);
  }

  private static Timing forward(LlamaModel model, long[][] batch, int reps) {
    double[] s = time(reps, () -> {
      try (NDManager sub = model.manager().newSubManager()) {
        // One scalar back to the host waits for the whole pass without copying B×T×vocab logits.
        model.forward(sub, batch, ForwardHooks.none(), null).logits().max().getFloat();
      }
    });
    return report(new Timing("forward", "forward " + batch.length + "×" + batch[0].length + " tokens", s));
  }

  private static Timing decode(LlamaModel model, long[] prompt, int steps, int reps) {
    double[] perToken = new double[reps + 1];
    int[] rep = {0};
    time(reps, () -> {
      try (NDManager sub = model.manager().newSubManager(); KvCache cache = new KvCache(sub, model.config().numLayers())) {
        ForwardResult r = model.forward(sub, new long[][] {prompt}, ForwardHooks.none(), cache);
        long[][] next = {{r.logits().get(0, prompt.length - 1).argMax().getLong()}};
        long t = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          ForwardResult step = model.forward(sub, next, ForwardHooks.none(), cache);
          next[0][0] = step.logits().argMax(-1).toLongArray()[0];
        }
        perToken[rep[0]++] = (System.nanoTime() - t) / 1e9 / steps;
      }
    });
    return report(new Timing("decode", "decode, per token (greedy, KV cache, after a " + prompt.length + "-token prompt)",
        Arrays.copyOfRange(perToken, 1, perToken.length)));
  }

  private static Timing memitEdit(DjlModelRuntime rt, List<Fact> facts, Options o) {
    LlamaConfig c = rt.config();
    MemitConfig d = MemitConfig.defaults(c.numLayers());
    // Fixed work: every v* step runs (early stop at p >= 1 never fires), no fact is skipped, no boosted re-solve.
    MemitConfig config = new MemitConfig(d.layers(), o.vSteps(), d.vLr(), d.klWeight(), d.normClamp(), 1f, 0f, d.residualScale(),
        0, 0, d.lambda(), MemitConfig.CovarianceKind.DIAGONAL, d.covarianceRank(), MemitConfig.EditMode.BATCH, d.nullSpaceThreshold());
    long t = System.nanoTime();
    CovarianceStats stats = CovarianceStats.collect(rt.model(), rt.tokenizer(), config.layers(), SomnusTiny.Variant.TEST.world().referenceTexts(8));
    System.out.printf("  key statistics for layers %s in %.1f s (setup, not timed)%n", config.layers(), (System.nanoTime() - t) / 1e9);
    MemitEditor editor = new MemitEditor(rt, config, stats);
    EditResult[] last = new EditResult[1];
    double[] s = time(o.memitReps(), () -> last[0] = editor.compute(facts, List.of(), null));
    if (!last[0].skipped().isEmpty()) throw new IllegalStateException("MEMIT skipped facts, so the timing is not comparable: " + last[0].skipped());
    return report(new Timing("memit_edit", "MEMIT edit of " + facts.size() + " facts (" + o.vSteps() + " v* steps, band "
        + config.layers() + "), v* " + fmt(last[0].vStarSeconds()) + " s + spread " + fmt(last[0].solveSeconds()) + " s", s));
  }

  private static Timing loraStep(LlamaModel model, TextTokenizer tokenizer, long[][] tokens, Options o) {
    List<QaExample> examples = new ArrayList<>();
    for (long[] row : tokens) examples.add(new QaExample(row, row.length / 2));
    LoraConfig config = LoraConfig.defaults().withStopWhenRecalled(false).withSteps(o.loraSteps(), 1, o.loraSteps());
    long[] stamps = new long[o.loraSteps() + 1];
    LoraTrainer.Listener clock = (step, total, loss) -> stamps[step] = System.nanoTime();
    long started = System.nanoTime();
    LoraTrainer.Result r = LoraTrainer.train(model, tokenizer, examples, List.of(), List.of(), examples.size(), config, clock);
    r.adapters().close();
    if (r.steps() != o.loraSteps()) throw new IllegalStateException("LoRA ran " + r.steps() + " steps, asked for " + o.loraSteps());
    // Step 1 includes the adapters' first allocation and kernel selection: a warm-up, as in the other timings.
    double[] s = new double[o.loraSteps() - 1];
    for (int i = 2; i <= o.loraSteps(); i++) s[i - 2] = (stamps[i] - stamps[i - 1]) / 1e9;
    return report(new Timing("lora_step", "LoRA step (rank " + config.rank() + ", " + config.projections().size()
        + " projections × " + model.config().numLayers() + " layers, batch " + tokens.length + "×" + tokens[0].length
        + ", AdamW), first step " + fmt((stamps[1] - started) / 1e9) + " s incl. set-up", s));
  }

  private static double[] time(int reps, Runnable r) {
    r.run(); // warm-up: first calls pay for kernel selection and allocation
    double[] out = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t = System.nanoTime();
      r.run();
      out[i] = (System.nanoTime() - t) / 1e9;
    }
    return out;
  }

  private static Timing report(Timing t) {
    System.out.printf("  %-20s median %9.2f ms   min %9.2f   max %9.2f   %s%n", t.name(), t.median() * 1e3, t.min() * 1e3,
        t.max() * 1e3, t.what());
    return t;
  }

  /** Shape, token ids and settings, so that scripts/gpu/torch_reference.py times the same work. */
  private static void writeWorkload(Options o, LlamaConfig c, DjlModelRuntime rt, List<Fact> facts, long[][] batch, long[][] lora)
      throws IOException {
    ObjectNode w = JSON.createObjectNode();
    ObjectNode shape = w.putObject("shape");
    shape.put("layers", c.numLayers()).put("hidden", c.hiddenSize()).put("ffn", c.intermediateSize()).put("heads", c.numHeads())
        .put("kv_heads", c.numKvHeads()).put("vocab", c.vocabSize()).put("rope_theta", c.ropeTheta()).put("rms_eps", c.rmsNormEps());
    w.put("reps", o.reps()).put("decode", o.decode());
    w.set("batch", JSON.valueToTree(batch));
    MemitConfig d = MemitConfig.defaults(c.numLayers());
    ObjectNode memit = w.putObject("memit");
    memit.set("layers", JSON.valueToTree(d.layers()));
    memit.put("v_steps", o.vSteps()).put("v_lr", d.vLr()).put("kl_weight", d.klWeight()).put("norm_clamp", d.normClamp())
        .put("lambda", d.lambda()).put("reps", o.memitReps());
    ArrayNode fs = memit.putArray("facts");
    for (Fact f : facts) {
      ObjectNode n = fs.addObject();
      n.put("text", f.sentence());
      n.set("prompt", JSON.valueToTree(rt.tokenizer().encode(f.prompt())));
      n.set("target", JSON.valueToTree(rt.tokenizer().encodeContinuation(f.target())));
    }
    LoraConfig l = LoraConfig.defaults();
    ObjectNode lo = w.putObject("lora");
    lo.put("rank", l.rank()).put("alpha", l.alpha()).put("dropout", l.dropout()).put("lr", l.learningRate())
        .put("weight_decay", l.weightDecay()).put("clip_norm", l.clipNorm()).put("steps", o.loraSteps());
    lo.set("projections", JSON.valueToTree(l.projections()));
    lo.set("tokens", JSON.valueToTree(lora));
    JSON.writeValue(o.workload().toFile(), w);
  }

  private static void writeResults(Path file, Device device, LibtorchInfo info, LlamaConfig c, List<Timing> timings) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    out.put("side", "engine").put("device", device.toString()).put("libtorch", info.version()).put("dtype", "float32")
        .put("parameters", c.parameterCount()).put("peak_rss_mib", EngineTimings.peakRssMiB());
    ObjectNode ts = out.putObject("timings");
    for (Timing t : timings) {
      ts.putObject(t.name()).put("median_ms", t.median() * 1e3).put("min_ms", t.min() * 1e3).put("max_ms", t.max() * 1e3)
          .put("what", t.what());
    }
    JSON.writeValue(file.toFile(), out);
  }

  private static long[][] tokens(int b, int t, int vocab, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    long[][] out = new long[b][t];
    for (long[] row : out) for (int i = 0; i < t; i++) row[i] = r.nextInt(vocab);
    return out;
  }

  private static String fmt(double seconds) {
    return String.format(Locale.ROOT, "%.2f", seconds);
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
