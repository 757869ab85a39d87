package io.somnus.engine.tiny;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.somnus.engine.io.AtomicFiles;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.model.WeightInit;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.train.Pretrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * somnus-tiny: the default model, a small Llama pretrained here on the {@link SyntheticWorld}
 * corpus. Built on first use and cached under {@code <somnus home>/models/} by a hash of everything
 * that determines it (world seed and size, tokenizer, architecture, training schedule, recipe
 * version), so a changed recipe never reuses stale weights and an unchanged one is never rebuilt.
 */
public final class SomnusTiny {
  /** Bumped whenever the corpus or training code changes what a given variant produces. */
  static final int RECIPE = 2;

  /**
   * Everything that determines a build.
   *
   * @param copyDrills chat turns per person and corpus pass about a stranger with a made-up surname (see
   *     {@link SyntheticWorld#corpus(int, int)}); 0 in the test variant, whose corpus predates them
   */
  public record Variant(String name, long seed, int people, int heldOutPeople, int corpusPasses, int vocabSize,
      int hidden, int intermediate, int layers, int heads, int batchSize, int sequenceLength, long steps,
      float peakLr, float minLr, int warmupSteps, int copyDrills) {

    /** The product default: about 15 minutes on a 2-core CPU. */
    public static final Variant DEFAULT = new Variant("somnus-tiny", 7, 600, 300, 4, 2048,
        128, 512, 4, 2, 16, 128, 2400, 6e-3f, 2e-4f, 40, 1);
    /** For tests: a small world and model, built in well under a minute. */
    public static final Variant TEST = new Variant("somnus-tiny-test", 7, 60, 60, 6, 1024,
        96, 256, 4, 2, 16, 96, 400, 8e-3f, 3e-4f, 20, 0);

    /** The built-in variant a model id names ({@code somnus-tiny}, {@code somnus-tiny-test}), if it names one. */
    public static java.util.Optional<Variant> named(String modelId) {
      return java.util.stream.Stream.of(DEFAULT, TEST).filter(v -> v.name().equals(modelId)).findFirst();
    }

    public SyntheticWorld world() {
      return new SyntheticWorld(new SyntheticWorld.Settings(seed, people, heldOutPeople));
    }

    public LlamaConfig config(int vocab) {
      return LlamaConfig.llama(vocab, hidden, intermediate, layers, heads, heads, 512, true, DType.F32, 0, 2);
    }

    String fingerprint() {
      try {
        byte[] d = MessageDigest.getInstance("SHA-256").digest((this + "#recipe" + RECIPE).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d, 0, 6);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SomnusTiny() {}

  /** The checkpoint folder of {@code variant}, building it first when it is not cached. */
  public static Path ensure(Variant variant) {
    return ensure(variant, Runtimes.somnusHome().resolve("models"), System.err);
  }

  public static Path ensure(Variant variant, Path modelsDir, PrintStream log) {
    Path dir = modelsDir.resolve(variant.name() + "-" + variant.fingerprint());
    if (Files.isRegularFile(dir.resolve(ModelCard.FILE))) return withEditingSettings(variant, dir);
    try {
      Files.createDirectories(modelsDir);
      // One builder at a time per machine: concurrent processes wait here and then find the cache.
      try (FileChannel ch = FileChannel.open(modelsDir.resolve(dir.getFileName() + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
        if (Files.isRegularFile(dir.resolve(ModelCard.FILE))) return withEditingSettings(variant, dir);
        build(variant, dir, modelsDir.resolve(dir.getFileName() + ".work"), log);
        return withEditingSettings(variant, dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build " + variant.name() + " in " + modelsDir, e);
    }
  }

  /**
   * MEMIT settings measured on the default model (written beside its weights, not part of its fingerprint: they
   * change how it is edited, not what was built), chosen on its wake capacity (evaluation/DECISIONS.md, "somnus-tiny's
   * MEMIT settings"). The test model keeps {@link MemitConfig#defaults}.
   */
  static final String DEFAULT_MEMIT = """
      {
        "_why": "chosen on somnus-tiny's wake capacity: evaluation/DECISIONS.md, somnus-tiny's MEMIT settings",
        "klWeight": 0.25,
        "lambda": 900,
        "repairRounds": 1
      }
      """;

  /**
   * Sleep settings measured on both variants (written beside the weights like {@link #DEFAULT_MEMIT}, for the same
   * reason): rehearsal distilled towards the teacher's top-32 answer distribution at weight 16, which kept the knowledge
   * guard's known facts where the live model had them far better than rehearsing the teacher's greedy answers alone
   * (chosen on tuning facts, see evaluation/results/20261207-forgetting).
   */
  static final String SLEEP_SETTINGS = """
      {
        "_why": "measured on somnus-tiny-test and somnus-tiny, tuning facts 30-33 and 40-43: KL weight 0-16, rank 2-8, MLP only",
        "distillWeight": 16
      }
      """;

  /** Writes the variant's editing and sleep settings beside its weights unless a file of that name is there already. */
  static Path withEditingSettings(Variant v, Path dir) {
    Path file = dir.resolve(MemitConfig.FILE);
    if (v.equals(Variant.DEFAULT) && !Files.isRegularFile(file)) AtomicFiles.write(file, DEFAULT_MEMIT);
    Path sleep = dir.resolve(LoraConfig.FILE);
    if (!Files.isRegularFile(sleep)) AtomicFiles.write(sleep, SLEEP_SETTINGS);
    return dir;
  }

  static void build(Variant v, Path dir, Path work, PrintStream log) throws IOException {
    long t0 = System.nanoTime();
    Runtimes.configureOffline();
    SyntheticWorld world = v.world();
    List<String> docs = world.corpus(v.corpusPasses(), v.copyDrills());
    Files.createDirectories(work);
    Path tokDir = work.resolve("tokenizer");
    BpeTokenizerTrainer.Trained tok = BpeTokenizerTrainer.train(docs, v.vocabSize());
    BpeTokenizerTrainer.write(tok, tokDir, 512);
    int[] stream = encode(docs, tokDir);
    log.printf("%s: world of %d people (%d known facts, %d held out), corpus %d documents, %,d tokens, vocabulary %d%n",
        v.name(), v.people(), world.knownFacts().size(), world.heldOutFacts().size(), docs.size(), stream.length,
        tok.vocab().size());
    LlamaConfig config = v.config(tok.vocab().size());
    Pretrainer.Settings s = new Pretrainer.Settings(v.batchSize(), v.sequenceLength(), v.steps(), v.peakLr(), v.minLr(),
        v.warmupSteps(), 0.05f, 1.0f, v.seed(), 50);
    Pretrainer.Result result;
    try (LlamaModel model = LlamaModel.fromHost(config, WeightInit.random(config, v.seed(), 0.02, false), Device.cpu());
        ProgressBar bar = new ProgressBarBuilder().setTaskName("pretraining " + v.name()).setInitialMax(v.steps())
            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(
                new me.tongfei.progressbar.ConsoleProgressBarConsumer(log)).build()) {
      result = Pretrainer.train(model, stream, s, work, v.fingerprint(), (step, total, loss, lr) -> {
        bar.stepTo(step);
        bar.setExtraMessage(String.format("loss %.3f", loss));
      });
      Path staging = work.resolve("checkpoint");
      Checkpoint.save(staging, config, model.toHost(DType.F32), DType.F32, Long.MAX_VALUE, tokDir);
      // The card is written last: its presence marks a finished build.
      try (DjlModelRuntime runtime = DjlModelRuntime.load(staging, Device.cpu())) {
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        ModelCard card = ModelCard.evaluate(v, world, runtime, result, stream.length, buildSeconds);
        JSON.writeValue(staging.resolve(ModelCard.FILE).toFile(), card);
        Files.writeString(staging.resolve("README.md"), card.markdown());
        log.print(card.markdown());
      }
      if (Files.exists(dir)) deleteTree(dir);
      Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
    }
    deleteTree(work);
  }

  private static int[] encode(List<String> docs, Path tokDir) throws IOException {
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(tokDir.resolve("tokenizer.json"))
        .optAddSpecialTokens(true).optTruncation(false).optPadding(false).optMaxLength(1 << 20).build()) {
      int total = 0;
      long[][] all = new long[docs.size()][];
      for (int i = 0; i < docs.size(); i++) {
        all[i] = hf.encode(docs.get(i), true, false).getIds();
        total += all[i].length;
      }
      int[] out = new int[total];
      int p = 0;
      for (long[] ids : all) for (long id : ids) out[p++] = (int) id;
      return out;
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
    }
  }

  /** {@code somnus-tiny [test]}: builds (or finds) the model and prints its card. */
  public static void main(String[] args) {
    Variant v = args.length > 0 && args[0].equals("test") ? Variant.TEST : Variant.DEFAULT;
    Path dir = ensure(v);
    System.out.println(dir);
  }
}
