package io.somnus.engine.memory;

import java.util.List;

/**
 * How MEMIT writes facts.
 *
 * @param layers edited layers (down_proj), ascending; the last is the critical layer t* whose
 *     output v* is optimised
 * @param vSteps Adam steps for v*; stops early once every object token is predicted with
 *     probability ≥ {@code earlyStopProbability}
 * @param vLr Adam learning rate for the residual delta
 * @param klWeight weight of KL(baseline ‖ edited) at the prompt's last position, which keeps the
 *     rest of the next-token distribution from being bulldozed
 * @param normClamp ‖δ‖ ≤ normClamp · ‖h‖ (h = residual at the prompt's last position), the MEMIT
 *     paper's guard against v* running away
 * @param residualScale ρ, multiplies δ before it is spread over the layers
 * @param lambda ridge weight λ of the covariance regulariser
 * @param covariance which second moment of keys regularises the solve
 */
public record MemitConfig(List<Integer> layers, int vSteps, float vLr, float klWeight, float normClamp,
    float earlyStopProbability, float residualScale, double lambda, CovarianceKind covariance) {

  public enum CovarianceKind {
    /** Per-dimension variance, as the reference: cheap, ignores correlations between key dimensions. */
    DIAGONAL,
    /** Full uncentred second moment E[kkᵀ] from reference text (MEMIT paper's C). */
    FULL
  }

  public MemitConfig {
    layers = List.copyOf(layers);
    if (layers.isEmpty()) throw new IllegalArgumentException("MEMIT needs at least one layer");
    for (int i = 1; i < layers.size(); i++) {
      if (layers.get(i) <= layers.get(i - 1)) throw new IllegalArgumentException("MEMIT layers must be ascending: " + layers);
    }
  }

  /** Defaults for a model of {@code numLayers}: a band from a quarter to half depth. */
  public static MemitConfig defaults(int numLayers) {
    int lo = Math.max(0, numLayers / 4);
    int hi = Math.max(lo, numLayers / 2);
    List<Integer> band = new java.util.ArrayList<>();
    for (int l = lo; l <= hi && l < numLayers - 1; l++) band.add(l);
    if (band.isEmpty()) band.add(0);
    return new MemitConfig(band, 40, 0.1f, 0.0625f, 4f, 0.9f, 1.5f, 0.1, CovarianceKind.FULL);
  }

  public MemitConfig withCovariance(CovarianceKind kind) {
    return new MemitConfig(layers, vSteps, vLr, klWeight, normClamp, earlyStopProbability, residualScale, lambda, kind);
  }

  public MemitConfig withLayers(List<Integer> band) {
    return new MemitConfig(band, vSteps, vLr, klWeight, normClamp, earlyStopProbability, residualScale, lambda, covariance);
  }

  public int criticalLayer() {
    return layers.get(layers.size() - 1);
  }
}
