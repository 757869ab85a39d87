package io.somnus.engine.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How MEMIT writes facts.
 *
 * @param layers edited layers (down_proj), ascending; the last is the critical layer t* whose
 *     output v* is optimised
 * @param vSteps Adam steps for v*; stops early once every object token is predicted with
 *     probability ≥ {@code earlyStopProbability}
 * @param vLr Adam learning rate for the residual delta, relative to the residual's RMS
 * @param klWeight weight of KL(baseline ‖ edited) at the prompt's last position, which keeps the
 *     rest of the next-token distribution from being bulldozed. Model-specific: on somnus-tiny 0.25 instead of 0.0625
 *     roughly halved the perplexity drift of 30 edits at the same recall, while on somnus-tiny-test it kept v* from
 *     reaching its targets and tripled the drift (see {@link #forCheckpoint})
 * @param normClamp ‖δ‖ ≤ normClamp · ‖h‖ (h = residual at that position), the MEMIT paper's
 *     guard against v* running away
 * @param earlyStopProbability v* stops once every object token has at least this probability
 * @param minTargetProbability a fact whose v* leaves some object token below this probability is
 *     skipped: writing a value the model cannot produce only spends a clamp-sized delta on damage
 * @param residualScale ρ, multiplies δ before it is spread over the layers. The reference uses 2.0 to make up for its
 *     first-order spread; the bottom-up spread delivers what it is asked for up to the regulariser's shrinkage, so
 *     1.0, with {@code residualBoosts} for the facts that still fall short
 * @param residualBoosts how many times a fact whose object is not the greedy continuation after the solve is solved
 *     again with its ρ ×1.5 (only that fact's; 0 = never). Each fact gets the smallest residual that writes it instead
 *     of every fact the largest any of them needs (evaluation/DECISIONS.md, "ρ = 1.0 with residual boosts")
 * @param lambda weight λ of the covariance regulariser λ·tr(ΔW C ΔWᵀ) with C = E[kkᵀ] (or its
 *     diagonal): roughly "how many ordinary tokens the written keys are weighed against". The
 *     reference's 0.1 with a diagonal C amounts to exact interpolation (spec §4.6) and wrecks
 *     unrelated text on a small model; MEMIT's paper uses 15000 on GPT-J. The default 300 keeps drift near 1 % over a
 *     few edits on both somnus models; with {@code repairRounds} making up for the facts a stronger regulariser
 *     erodes, somnus-tiny takes 900 (its {@value #FILE})
 * @param repairRounds after each edit written with preservation, how many top-up rounds rewrite the full-scale facts
 *     the model no longer states ({@link MemitEditor#repair}); 0 = never
 * @param covariance which second moment of keys regularises the solve
 * @param covarianceRank eigenpairs kept by {@link CovarianceKind#LOW_RANK_PLUS_DIAGONAL}
 * @param mode one edit for all facts, or one edit per fact applied before the next is computed
 * @param nullSpaceThreshold a null-space refresh ({@link MemitEditor#refresh}) protects the generic key directions whose
 *     eigenvalue exceeds this fraction of the largest (see {@link NullSpaceProjector#build}); AlphaEdit keeps
 *     eigenvalues below an absolute 1e-2, relative here so that it means the same on every model
 */
public record MemitConfig(List<Integer> layers, int vSteps, float vLr, float klWeight, float normClamp,
    float earlyStopProbability, float minTargetProbability, float residualScale, int residualBoosts, int repairRounds, double lambda,
    CovarianceKind covariance, int covarianceRank, EditMode mode, double nullSpaceThreshold) {

  public enum CovarianceKind {
    /** No key statistics: plain ridge. Used for null-space projected keys. */
    IDENTITY,
    /** Per-dimension centred variance, as the reference: cheap, ignores correlations between dimensions. */
    DIAGONAL,
    /** Full uncentred second moment E[kkᵀ] from reference text (the MEMIT paper's C); m×m per layer. */
    FULL,
    /** Top eigenpairs of E[kkᵀ] plus the remaining diagonal: m·(rank+1) numbers per layer, for wide MLPs. */
    LOW_RANK_PLUS_DIAGONAL
  }

  public enum EditMode {
    /** All facts in one solve, one {@link MemitEdit} (MEMIT's native mode). */
    BATCH,
    /** One edit per fact, each applied before the next one's keys and v* are computed. */
    SEQUENTIAL
  }

  public MemitConfig {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) throw new IllegalArgumentException("MEMIT needs at least one layer");
    for (int i = 1; i < layers.size(); i++) {
      if (layers.get(i) <= layers.get(i - 1)) throw new IllegalArgumentException("MEMIT layers must be ascending: " + layers);
    }
    if (layers.get(0) < 0) throw new IllegalArgumentException("MEMIT layers must be >= 0: " + layers);
    if (vSteps < 1) throw new IllegalArgumentException("vSteps must be >= 1");
    if (!(vLr > 0)) throw new IllegalArgumentException("vLr must be > 0");
    if (!(klWeight >= 0)) throw new IllegalArgumentException("klWeight must be >= 0");
    if (!(normClamp > 0)) throw new IllegalArgumentException("normClamp must be > 0");
    if (!(earlyStopProbability > 0 && earlyStopProbability <= 1)) throw new IllegalArgumentException("earlyStopProbability must be in (0, 1]");
    if (!(minTargetProbability >= 0 && minTargetProbability < earlyStopProbability)) {
      throw new IllegalArgumentException("minTargetProbability must be in [0, earlyStopProbability)");
    }
    if (!(residualScale > 0)) throw new IllegalArgumentException("residualScale must be > 0");
    if (residualBoosts < 0) throw new IllegalArgumentException("residualBoosts must be >= 0");
    if (repairRounds < 0) throw new IllegalArgumentException("repairRounds must be >= 0");
    if (!(lambda > 0) || !Double.isFinite(lambda)) throw new IllegalArgumentException("lambda must be positive and finite");
    if (covariance == null || mode == null) throw new IllegalArgumentException("covariance kind and edit mode are required");
    if (covarianceRank < 1) throw new IllegalArgumentException("covarianceRank must be >= 1");
    if (!(nullSpaceThreshold > 0 && nullSpaceThreshold < 1)) throw new IllegalArgumentException("nullSpaceThreshold must be in (0, 1)");
  }

  /**
   * Defaults for a model of {@code numLayers}: the band from a quarter to half depth (never the
   * last layer, which must stay above the critical layer for v*). The reference's bands sit in the
   * same place: 8–15 of 28 (3B), 12–19 of 32 (8B).
   */
  public static MemitConfig defaults(int numLayers) {
    if (numLayers < 2) throw new IllegalArgumentException("MEMIT needs a model with at least 2 layers");
    int lo = Math.max(0, numLayers / 4);
    int hi = Math.max(lo, numLayers / 2);
    List<Integer> band = new ArrayList<>();
    for (int l = lo; l <= hi && l < numLayers - 1; l++) band.add(l);
    if (band.isEmpty()) band.add(0);
    return new MemitConfig(band, 40, 0.1f, 0.0625f, 4f, 0.9f, 0.01f, 1.0f, 2, 1, 300, CovarianceKind.FULL, 64, EditMode.BATCH, 1e-2);
  }

  /** A checkpoint's own editing settings, next to its weights (copied with them when a checkpoint is saved from it). */
  public static final String FILE = "memit.json";

  /**
   * {@link #defaults} for the checkpoint in {@code dir}, with what its {@value #FILE} sets, if it has one:
   * {@code klWeight}, {@code lambda}, {@code residualBoosts}, {@code repairRounds}, {@code nullSpaceThreshold}. These trade recall against
   * perplexity drift differently on every model (as the MEMIT authors' per-model hyperparameter files do), so a
   * model ships the values measured on it; unknown keys are an error rather than silently ignored.
   *
   * @throws IllegalArgumentException when the file cannot be read or holds an unknown key or a bad value
   */
  public static MemitConfig forCheckpoint(Path dir, int numLayers) {
    MemitConfig c = defaults(numLayers);
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) return c;
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read MEMIT settings: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": MEMIT settings must be a JSON object");
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (e.getKey().startsWith("_")) continue; // comments
      if (!v.isNumber()) throw new IllegalArgumentException(file + ": " + e.getKey() + " must be a number, got " + v);
      c = switch (e.getKey()) {
        case "klWeight" -> c.withKlWeight(v.floatValue());
        case "lambda" -> c.withLambda(v.doubleValue());
        case "residualBoosts" -> c.withResidual(c.residualScale, v.intValue());
        case "repairRounds" -> c.withRepairRounds(v.intValue());
        case "nullSpaceThreshold" -> c.withNullSpaceThreshold(v.doubleValue());
        default -> throw new IllegalArgumentException(file + ": unknown MEMIT setting '" + e.getKey()
            + "' (known: klWeight, lambda, residualBoosts, repairRounds, nullSpaceThreshold)");
      };
    }
    return c;
  }

  public MemitConfig withCovariance(CovarianceKind kind) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, kind, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withCovarianceRank(int rank) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, rank, mode, nullSpaceThreshold);
  }

  public MemitConfig withLayers(List<Integer> band) {
    return new MemitConfig(band, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withLambda(double l) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, l, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withVStar(int steps, float lr) {
    return new MemitConfig(layers, steps, lr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withResidual(float rho, int boosts) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, rho, boosts, repairRounds, lambda, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withKlWeight(float w) {
    return new MemitConfig(layers, vSteps, vLr, w, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withRepairRounds(int rounds) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, rounds, lambda, covariance, covarianceRank, mode, nullSpaceThreshold);
  }

  public MemitConfig withMode(EditMode m) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, covarianceRank, m, nullSpaceThreshold);
  }

  public MemitConfig withNullSpaceThreshold(double t) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, minTargetProbability, residualScale, residualBoosts, repairRounds, lambda, covariance, covarianceRank, mode, t);
  }

  public int criticalLayer() {
    return layers.get(layers.size() - 1);
  }
}
