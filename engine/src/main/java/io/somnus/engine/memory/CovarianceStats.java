package io.somnus.engine.memory;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.SafeTensors;
import io.somnus.engine.model.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Second-moment statistics of MLP keys (the inputs of down_proj) over reference text, per edited
 * layer. They say which directions of key space ordinary text uses: a MEMIT update regularised by
 * them changes the layer's output least on those keys.
 *
 * <p>Three forms of the same statistics are offered, see {@link MemitConfig.CovarianceKind}:
 * the per-dimension (centred) variance the reference uses, the full uncentred second moment
 * {@code C = E[k kᵀ]} of the MEMIT paper (m×m, fine up to a few thousand dimensions), and a
 * low-rank-plus-diagonal approximation {@code C ≈ Q Λ Qᵀ + D} (top eigenpairs plus the remaining
 * diagonal) that scales to wide MLPs, where an m×m matrix per layer would not fit.
 *
 * <p>Statistics depend on the weights up to the edited layer and on the text, so a cache file is
 * named by a hash of exactly those: the embedding and layers 0..max(layers), the layer list and
 * the texts. Changed weights (an earlier fused LoRA, say) never reuse stale statistics — the
 * reference's cache has no model fingerprint (spec §12.12).
 */
public final class CovarianceStats {
  /** Keys kept per layer as a sample of "generic" keys for the null-space projector. */
  static final int SAMPLE_LIMIT = 2048;

  private final Map<Integer, Layer> layers;
  private final long count;
  private final String fingerprint;

  /** Statistics of one layer; {@code secondMoment} is row-major m×m, uncentred. */
  record Layer(int m, double[] mean, double[] secondMoment, List<float[]> sample) {
    double second(int i, int j) {
      return secondMoment[i * m + j];
    }

    /** Centred per-dimension variance, floored at 1e-6 as the reference. */
    double[] variance() {
      double[] v = new double[m];
      for (int i = 0; i < m; i++) v[i] = Math.max(second(i, i) - mean[i] * mean[i], 1e-6);
      return v;
    }
  }

  private CovarianceStats(Map<Integer, Layer> layers, long count, String fingerprint) {
    this.layers = layers;
    this.count = count;
    this.fingerprint = fingerprint;
  }

  /**
   * Loads the statistics from {@code cacheDir} when a file for this model, layer set and text set
   * exists, otherwise collects them and writes the file (atomically). {@code cacheDir} may be null
   * for no caching.
   */
  public static CovarianceStats loadOrCollect(LlamaModel model, TextTokenizer tokenizer, List<Integer> layers,
      List<String> texts, Path cacheDir) {
    String fp = fingerprint(model, layers, texts);
    Path file = cacheDir == null ? null : cacheDir.resolve("key-stats-" + fp + ".safetensors");
    if (file != null && Files.isRegularFile(file)) {
      try {
        return read(file, layers, fp);
      } catch (RuntimeException e) {
        // A damaged cache is not an error worth stopping for: recompute and overwrite it.
        System.err.println("ignoring unreadable key statistics cache " + file + ": " + e.getMessage());
      }
    }
    CovarianceStats stats = collect(model, tokenizer, layers, texts, fp);
    if (file != null) {
      try {
        stats.write(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write key statistics cache " + file, e);
      }
    }
    return stats;
  }

  /** Collects without caching. */
  public static CovarianceStats collect(LlamaModel model, TextTokenizer tokenizer, List<Integer> layers, List<String> texts) {
    return collect(model, tokenizer, layers, texts, fingerprint(model, layers, texts));
  }

  private static CovarianceStats collect(LlamaModel model, TextTokenizer tokenizer, List<Integer> layers,
      List<String> texts, String fp) {
    if (texts.isEmpty()) throw new IllegalArgumentException("key statistics need at least one reference text");
    int m = model.config().intermediateSize();
    int[] ls = layers.stream().mapToInt(Integer::intValue).toArray();
    Map<Integer, double[]> sums = new LinkedHashMap<>();
    Map<Integer, double[]> means = new LinkedHashMap<>();
    Map<Integer, List<float[]>> samples = new LinkedHashMap<>();
    for (int l : ls) {
      sums.put(l, new double[m * m]);
      means.put(l, new double[m]);
      samples.put(l, new ArrayList<>());
    }
    long n = 0;
    // Every position including BOS, as the reference: BOS keys are part of every prompt too.
    for (String text : texts) {
      long[] ids = tokenizer.encode(text);
      if (ids.length > model.config().maxPositionEmbeddings()) ids = java.util.Arrays.copyOf(ids, model.config().maxPositionEmbeddings());
      try (NDManager scope = model.manager().newSubManager()) {
        ForwardResult r = model.forward(scope, new long[][] {ids}, new ForwardHooks().captureMlpKeys(ls).stopAfter(ls[ls.length - 1]), null);
        for (int l : ls) {
          NDArray k = r.mlpKeys().get(l).reshape(ids.length, m);
          // KᵀK in the engine (one matmul) instead of a host loop over m² per token.
          float[] gram = k.transpose().matMul(k).toFloatArray();
          double[] s = sums.get(l);
          for (int i = 0; i < gram.length; i++) s[i] += gram[i];
          float[] flat = k.toFloatArray();
          double[] mu = means.get(l);
          for (int t = 0; t < ids.length; t++) {
            for (int i = 0; i < m; i++) mu[i] += flat[t * m + i];
            samples.get(l).add(java.util.Arrays.copyOfRange(flat, t * m, (t + 1) * m));
          }
        }
      }
      n += ids.length;
    }
    Map<Integer, Layer> out = new LinkedHashMap<>();
    for (int l : ls) {
      // Rounded to float as the cache stores them, so that a run that collects the statistics and one that reads them
      // back write the same MEMIT edits (evaluation/DECISIONS.md, "key statistics rounded to float").
      double[] s = sums.get(l);
      for (int i = 0; i < s.length; i++) s[i] = (float) (s[i] / n);
      double[] mu = means.get(l);
      for (int i = 0; i < m; i++) mu[i] = (float) (mu[i] / n);
      out.put(l, new Layer(m, mu, s, subsample(samples.get(l), l)));
    }
    return new CovarianceStats(out, n, fp);
  }

  /** A fixed-seed subsample, so the projector built from it is reproducible. */
  private static List<float[]> subsample(List<float[]> all, int layer) {
    if (all.size() <= SAMPLE_LIMIT) return List.copyOf(all);
    List<float[]> copy = new ArrayList<>(all);
    java.util.Collections.shuffle(copy, new java.util.Random(31L * layer + 7));
    return List.copyOf(copy.subList(0, SAMPLE_LIMIT));
  }

  /** Number of key vectors (tokens) the statistics were computed from. */
  public long count() {
    return count;
  }

  /** Hash of the weights up to the deepest layer, the layer list and the texts. */
  public String fingerprint() {
    return fingerprint;
  }

  public List<Integer> layers() {
    return List.copyOf(layers.keySet());
  }

  /** Centred per-dimension variance at {@code layer} (the reference's σ², floored at 1e-6). */
  public double[] variance(int layer) {
    return require(layer).variance();
  }

  /** Uncentred second moment E[kkᵀ] at {@code layer}, m×m as rows. */
  public double[][] secondMoment(int layer) {
    Layer st = require(layer);
    double[][] out = new double[st.m][];
    for (int i = 0; i < st.m; i++) out[i] = java.util.Arrays.copyOfRange(st.secondMoment, i * st.m, (i + 1) * st.m);
    return out;
  }

  /** Mean key at {@code layer}. */
  public double[] mean(int layer) {
    return require(layer).mean.clone();
  }

  /** Keys of the reference text at {@code layer} (a fixed subsample of at most {@value #SAMPLE_LIMIT}). */
  public List<float[]> keys(int layer) {
    return require(layer).sample;
  }

  private Layer require(int layer) {
    Layer st = layers.get(layer);
    if (st == null) throw new IllegalArgumentException("no key statistics for layer " + layer + " (have " + layers.keySet() + ")");
    return st;
  }

  // ---- cache file -------------------------------------------------------------------------

  private void write(Path file) throws IOException {
    List<HostTensor> tensors = new ArrayList<>();
    for (Map.Entry<Integer, Layer> e : layers.entrySet()) {
      Layer st = e.getValue();
      int m = st.m;
      tensors.add(new HostTensor("layer." + e.getKey() + ".mean", DType.F32, new long[] {m}, toFloat(st.mean)));
      tensors.add(new HostTensor("layer." + e.getKey() + ".second_moment", DType.F32, new long[] {m, m}, toFloat(st.secondMoment)));
      float[] sample = new float[st.sample.size() * m];
      for (int i = 0; i < st.sample.size(); i++) System.arraycopy(st.sample.get(i), 0, sample, i * m, m);
      tensors.add(new HostTensor("layer." + e.getKey() + ".sample", DType.F32, new long[] {st.sample.size(), m}, sample));
    }
    SafeTensors.write(file, tensors, Map.of("count", Long.toString(count), "fingerprint", fingerprint));
  }

  private static CovarianceStats read(Path file, List<Integer> layers, String fp) {
    try (SafeTensors st = SafeTensors.open(file)) {
      if (!fp.equals(st.metadata().get("fingerprint"))) throw new IllegalStateException("fingerprint mismatch");
      long count = Long.parseLong(st.metadata().get("count"));
      Map<Integer, Layer> out = new LinkedHashMap<>();
      for (int l : layers) {
        float[] mean = st.read("layer." + l + ".mean").data();
        float[] second = st.read("layer." + l + ".second_moment").data();
        HostTensor sample = st.read("layer." + l + ".sample");
        int m = mean.length;
        List<float[]> keys = new ArrayList<>();
        for (int i = 0; i < sample.shape()[0]; i++) keys.add(java.util.Arrays.copyOfRange(sample.data(), i * m, (i + 1) * m));
        out.put(l, new Layer(m, toDouble(mean), toDouble(second), List.copyOf(keys)));
      }
      return new CovarianceStats(out, count, fp);
    }
  }

  private static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
    return f;
  }

  private static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i];
    return d;
  }

  /**
   * SHA-256 over the weights keys depend on (embedding, every weight of layers 0..max), the layer
   * list and the texts; 16 hex characters.
   */
  static String fingerprint(LlamaModel model, List<Integer> layers, List<String> texts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      int deepest = layers.stream().mapToInt(Integer::intValue).max().orElseThrow();
      for (String name : model.weightNames()) {
        if (!dependsOn(name, deepest)) continue;
        md.update(name.getBytes(StandardCharsets.UTF_8));
        float[] data = model.weight(name).toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        md.update(b.array());
      }
      md.update(("layers" + layers).getBytes(StandardCharsets.UTF_8));
      for (String t : texts) {
        md.update(t.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }

  private static boolean dependsOn(String weight, int deepest) {
    if (weight.equals(LlamaModel.EMBED)) return true;
    if (!weight.startsWith("model.layers.")) return false;
    int layer = Integer.parseInt(weight.substring("model.layers.".length(), weight.indexOf('.', "model.layers.".length())));
    return layer <= deepest;
  }
}
