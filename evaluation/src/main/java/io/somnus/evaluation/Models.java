package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** The model an experiment runs on: somnus-tiny (built once and cached) with its world. */
public final class Models {
  private final SomnusTiny.Variant variant;
  private final Path checkpoint;
  private final SyntheticWorld world;
  private String weightsDigest;

  public Models(SomnusTiny.Variant variant) {
    Runtimes.configureOffline();
    this.variant = variant;
    this.checkpoint = SomnusTiny.ensure(variant);
    this.world = variant.world();
  }

  public SomnusTiny.Variant variant() {
    return variant;
  }

  public Path checkpoint() {
    return checkpoint;
  }

  /** {@link #weightsDigest(Path)} of this model's checkpoint, read once: every experiment of a run records it. */
  public synchronized String weightsDigest() {
    if (weightsDigest == null) weightsDigest = weightsDigest(checkpoint);
    return weightsDigest;
  }

  /**
   * The first 12 hex digits of the SHA-256 over a checkpoint's weight files ({@code *.safetensors}, by name). The
   * directory name carries the fingerprint of the build recipe, not of the weights, and the same recipe rebuilt on
   * another machine gave other weights: somnus-tiny's raw recall of 30 known facts read 0.967 in the build behind the
   * report of 2026-12-03 and 0.944 in the next one, with the same code. A report names the weights it measured so
   * that two runs are only compared figure by figure when they ran on the same ones.
   */
  public static String weightsDigest(Path checkpoint) {
    try (Stream<Path> files = Files.list(checkpoint)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      List<Path> weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
      if (weights.isEmpty()) throw new IllegalStateException("no .safetensors weights in " + checkpoint);
      byte[] buffer = new byte[1 << 16];
      for (Path f : weights) {
        sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(f)) {
          for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 6);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the weights of " + checkpoint, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public SyntheticWorld world() {
    return world;
  }

  /** The texts MEMIT's key statistics are collected from: the first {@code referenceTexts} of the world's. */
  public List<String> statTexts(Profile p) {
    return world.referenceTexts(p.referenceTexts());
  }

  /**
   * {@code n} reference texts that come after the key-statistics texts: perplexity measured on them is out of sample
   * for the covariance regulariser, which otherwise protects exactly the texts it was collected from.
   */
  public List<String> heldOutTexts(Profile p, int n) {
    return List.copyOf(world.referenceTexts(p.referenceTexts() + n).subList(p.referenceTexts(), p.referenceTexts() + n));
  }

  /** MEMIT settings of the base checkpoint (its {@code memit.json} over the defaults), for {@code rt} loaded from it or fused from it. */
  public MemitConfig memit(ModelRuntime rt) {
    return MemitConfig.forCheckpoint(checkpoint, rt.config().numLayers());
  }

  /** A fresh copy of the base model; every condition starts from one so no edit leaks between them. */
  public DjlModelRuntime load() {
    return DjlModelRuntime.load(checkpoint, Device.cpu());
  }

  public static double meanPerplexity(io.somnus.engine.runtime.ModelRuntime rt, List<String> texts) {
    double s = 0;
    for (String t : texts) s += Math.log(rt.perplexity(t));
    return Math.exp(s / texts.size());
  }
}
