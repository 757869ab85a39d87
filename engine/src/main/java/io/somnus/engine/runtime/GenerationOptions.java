package io.somnus.engine.runtime;

/**
 * Decoding settings. Temperature 0 means greedy (ties go to the lowest id), which is what recall
 * probes use so that a score never depends on a random draw.
 */
public record GenerationOptions(int maxNewTokens, double temperature, double topP, double repetitionPenalty, long seed) {
  public GenerationOptions {
    if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0");
    if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
    if (topP <= 0 || topP > 1) throw new IllegalArgumentException("topP must be in (0, 1]");
    if (repetitionPenalty <= 0) throw new IllegalArgumentException("repetitionPenalty must be > 0");
  }

  /** Whether this always takes the likeliest token (no sampling, no repetition penalty). */
  public boolean greedy() {
    return temperature == 0 && repetitionPenalty == 1;
  }

  public static GenerationOptions greedy(int maxNewTokens) {
    return new GenerationOptions(maxNewTokens, 0, 1, 1, 0);
  }

  public static GenerationOptions sampled(int maxNewTokens, double temperature, double topP, long seed) {
    return new GenerationOptions(maxNewTokens, temperature, topP, 1.1, seed);
  }
}
