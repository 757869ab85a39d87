package io.somnus.engine.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.model.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;

/** {@link ModelRuntime} on DJL's PyTorch engine (CPU, or CUDA when a GPU libtorch is present). */
public final class DjlModelRuntime implements ModelRuntime {
  private final LlamaModel model;
  private final TextTokenizer tokenizer;
  private final Path sourceDir;
  private final Set<Long> stopIds;

  public DjlModelRuntime(LlamaModel model, TextTokenizer tokenizer, Path sourceDir) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.sourceDir = sourceDir;
    this.stopIds = tokenizer.stopIds();
  }

  /** Loads a checkpoint directory (config, safetensors, tokenizer) on the preferred device. */
  public static DjlModelRuntime load(Path dir) {
    return load(dir, Runtimes.preferredDevice());
  }

  public static DjlModelRuntime load(Path dir, Device device) {
    Runtimes.configureOffline();
    TextTokenizer tokenizer = TextTokenizer.load(dir, Checkpoint.readConfig(dir).eosTokenIds());
    try {
      return new DjlModelRuntime(LlamaModel.load(dir, device), tokenizer, dir);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  @Override
  public LlamaConfig config() {
    return model.config();
  }

  @Override
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public LlamaModel model() {
    return model;
  }

  /** Directory the runtime was loaded from (its tokenizer files are copied on save). */
  public Path sourceDir() {
    return sourceDir;
  }

  @Override
  public String complete(String prompt, GenerationOptions options) {
    return tokenizer.decode(generate(tokenizer.encode(prompt), options));
  }

  @Override
  public String chat(List<ChatMessage> messages, GenerationOptions options) {
    return tokenizer.decode(generate(tokenizer.encodeChat(messages, true), options)).strip();
  }

  /** Greedy answers are decoded side by side ({@link GreedyDecoder}): the same answers as one at a time, in less time. */
  @Override
  public List<String> chatAll(List<List<ChatMessage>> conversations, GenerationOptions options) {
    if (!options.greedy()) return ModelRuntime.super.chatAll(conversations, options);
    List<long[]> prompts = new java.util.ArrayList<>(conversations.size());
    for (List<ChatMessage> c : conversations) prompts.add(tokenizer.encodeChat(c, true));
    int[] budgets = new int[prompts.size()];
    java.util.Arrays.fill(budgets, options.maxNewTokens());
    List<String> out = new java.util.ArrayList<>(prompts.size());
    for (long[] said : GreedyDecoder.decodeAll(model, ForwardHooks.none().lastPositionLogits(), tokenizer.stopIds(), prompts, budgets)) {
      out.add(tokenizer.decode(said).strip());
    }
    return out;
  }

  @Override
  public long[] generate(long[] promptIds, GenerationOptions options, LongPredicate onToken) {
    if (promptIds.length == 0) throw new IllegalArgumentException("empty prompt");
    int budget = Math.min(options.maxNewTokens(), config().maxPositionEmbeddings() - promptIds.length);
    long[] out = new long[Math.max(budget, 0)];
    int produced = 0;
    SplittableRandom random = new SplittableRandom(options.seed());
    long[] history = Arrays.copyOf(promptIds, promptIds.length + out.length);
    int historyLen = promptIds.length;
    try (NDManager scope = model.manager().newSubManager(); KvCache cache = new KvCache(scope, config().numLayers())) {
      long[][] step = {promptIds};
      while (produced < out.length) {
        float[] logits;
        try (NDManager s = scope.newSubManager()) {
          logits = model.forward(s, step, ForwardHooks.none().lastPositionLogits(), cache).logits().toFloatArray();
        }
        long next = Sampler.pick(logits, history, historyLen, options, random);
        if (stopIds.contains(next)) break;
        out[produced++] = next;
        history[historyLen++] = next;
        if (!onToken.test(next)) break;
        step = new long[][] {{next}};
      }
    }
    return Arrays.copyOf(out, produced);
  }

  @Override
  public float[][] targetLogProbs(List<long[]> prompts, List<long[]> targets) {
    if (prompts.size() != targets.size()) throw new IllegalArgumentException("prompts and targets differ in count");
    int batch = prompts.size();
    float[][] result = new float[batch][];
    if (batch == 0) return result;
    int width = 0;
    for (int b = 0; b < batch; b++) {
      if (prompts.get(b).length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
      width = Math.max(width, prompts.get(b).length + targets.get(b).length - 1);
    }
    long[][] input = new long[batch][width];
    long[] next = new long[batch * width];
    for (int b = 0; b < batch; b++) {
      long[] p = prompts.get(b);
      long[] t = targets.get(b);
      long[] seq = new long[p.length + t.length];
      System.arraycopy(p, 0, seq, 0, p.length);
      System.arraycopy(t, 0, seq, p.length, t.length);
      for (int i = 0; i < width; i++) {
        input[b][i] = i < seq.length ? seq[i] : 0;
        next[b * width + i] = i + 1 < seq.length ? seq[i + 1] : 0;
      }
    }
    float[] picked;
    try (NDManager s = model.manager().newSubManager()) {
      NDArray logits = model.forward(s, input, ForwardHooks.none(), null).logits();
      NDArray idx = s.create(next, new Shape(batch, width, 1));
      picked = logits.logSoftmax(-1).gather(idx, -1).toFloatArray();
    }
    for (int b = 0; b < batch; b++) {
      int p = prompts.get(b).length;
      int n = targets.get(b).length;
      result[b] = new float[n];
      for (int j = 0; j < n; j++) result[b][j] = picked[b * width + p - 1 + j];
    }
    return result;
  }

  @Override
  public double perplexity(String text) {
    long[] ids = tokenizer.encode(text);
    if (ids.length < 2) return Double.POSITIVE_INFINITY;
    int window = config().maxPositionEmbeddings();
    double nll = 0;
    int count = 0;
    // Non-overlapping windows: each token is scored once, with up to `window` tokens of context.
    for (int start = 0; start < ids.length - 1; start += window - 1) {
      int end = Math.min(ids.length, start + window);
      long[] prompt = {ids[start]};
      long[] target = Arrays.copyOfRange(ids, start + 1, end);
      for (float lp : targetLogProbs(List.of(prompt), List.of(target))[0]) {
        nll -= lp;
        count++;
      }
    }
    return Math.exp(nll / count);
  }

  @Override
  public void save(Path dir, DType dtype) throws IOException {
    Checkpoint.save(dir, config(), model.toHost(dtype), dtype, 2L << 30, sourceDir);
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
