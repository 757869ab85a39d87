package io.somnus.engine.memory;

import java.util.List;

/**
 * What one MEMIT computation produced.
 *
 * @param edit the edit, or null when every fact was skipped
 * @param skipped facts that were not written, each with the reason
 * @param vStarSeconds wall-clock time optimising target values
 * @param solveSeconds wall-clock time computing keys and solving the per-layer systems
 * @param targetProbabilities per written fact (in {@code edit.facts()} order), the lowest
 *     probability of any object token that v* reached; below the early-stop level means v* ran
 *     out of steps
 * @param residualScales per written fact, the ρ its residual was written with: the configured one, or more where the
 *     solve fell short of making the object the greedy continuation (see {@link MemitConfig#residualBoosts()})
 */
public record EditResult(MemitEdit edit, List<SkippedFact> skipped, double vStarSeconds, double solveSeconds,
    List<Double> targetProbabilities, List<Double> residualScales) {
  public EditResult {
    skipped = List.copyOf(skipped);
    targetProbabilities = List.copyOf(targetProbabilities);
    residualScales = List.copyOf(residualScales);
  }

  /** Why a fact was not written. */
  public record SkippedFact(Fact fact, String reason) {}

  public List<Fact> written() {
    return edit == null ? List.of() : edit.facts();
  }
}
