package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.activities.local.LocalStepSettings;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import java.nio.file.Path;
import java.util.List;

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

  /**
   * {@link Checkpoint#weightsDigest} of this model, read once: every experiment of a run records it, so that two runs
   * are only compared figure by figure when they ran on the same weights.
   */
  public synchronized String weightsDigest() {
    if (weightsDigest == null) weightsDigest = Checkpoint.weightsDigest(checkpoint);
    return weightsDigest;
  }

  public SyntheticWorld world() {
    return world;
  }

  /** The texts MEMIT's key statistics are collected from: the first {@code referenceTexts} of the world's. */
  public List<String> statTexts(Profile p) {
    return world.referenceTexts(p.referenceTexts());
  }

  /** The texts the product's wake collects MEMIT's key statistics from ({@code WakeMemory.of}): the same cache file. */
  public List<String> wakeStatTexts() {
    return world.referenceTexts(LocalStepSettings.KEY_STATISTICS_TEXTS);
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
