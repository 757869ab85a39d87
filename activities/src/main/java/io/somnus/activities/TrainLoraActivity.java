package io.somnus.activities;

import io.somnus.engine.sleep.LoraConfig;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Step 5: train a LoRA adapter on the facts being consolidated (model with its MEMIT edits applied).
 * Heartbeats carry the step count; the adapter is stored content-addressed and recorded under the
 * run, so a retry after a worker crash returns the stored adapter instead of training again.
 */
@ActivityInterface
public interface TrainLoraActivity {
  /**
   * @param rank not read: the adapter's rank and alpha are the model's own ({@link LoraConfig#forCheckpoint}, logged by
   *     the step as it trains); both fields stay so that recorded histories still deserialise
   * @param stepsPerFact {@code stepsPerFact}·facts steps, at least {@code minSteps}, at most {@code maxSteps} (0 in
   *     settings recorded before the ceiling existed: none)
   */
  record Settings(int rank, float alpha, float learningRate, int stepsPerFact, int minSteps, int maxSteps, long seed) {
    public Settings {
      if (rank < 1) throw new IllegalArgumentException("LoRA rank must be ≥ 1, got " + rank);
      if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
      if (stepsPerFact < 1 || minSteps < 1) throw new IllegalArgumentException("step counts must be ≥ 1");
      if (maxSteps == 0) maxSteps = Integer.MAX_VALUE;
      if (maxSteps < minSteps) {
        throw new IllegalArgumentException("step ceiling " + maxSteps + " is below the floor " + minSteps);
      }
    }

    /** The engine's LoRA defaults ({@link LoraConfig#defaults()}) and the policy's fixed seed, which {@link #forRun} mixes. */
    public static Settings defaults() {
      LoraConfig d = LoraConfig.defaults();
      return new Settings(d.rank(), d.alpha(), d.learningRate(), d.stepsPerFact(), d.minSteps(), d.maxSteps(), 7);
    }

    /**
     * The settings of one sleep: the policy's seed mixed with the run id, so that every sleep draws its own adapters
     * (a sleep run again on an unchanged model after a refusal does not reproduce it) while a run replayed or resumed
     * under its id trains exactly as before.
     */
    public Settings forRun(String runId) {
      return new Settings(rank, alpha, learningRate, stepsPerFact, minSteps, maxSteps, seed * 1_000_003L + runId.hashCode());
    }

    /**
     * The settings a sleep trains again with after validation refused its candidate: a gentler rate
     * ({@link LoraConfig#forRetry}) and another seed, so the retry does not start from the refused attempt's draw.
     */
    public Settings forRetry() {
      return new Settings(rank, alpha, learningRate * LoraConfig.RETRY_LEARNING_RATE_FACTOR, stepsPerFact, minSteps,
          maxSteps, seed + 1);
    }
  }

  /**
   * @param attempt 0 for a sleep's first candidate, k for the k-th retry after validation refused the one before
   *     (inputs recorded before retries existed read 0). Each attempt's result is kept apart, so a step retried after a
   *     crash returns its own attempt's result and never an earlier attempt's
   */
  record Input(String runId, String versionId, List<String> factIds, Settings settings, int attempt) {
    public Input {
      factIds = List.copyOf(factIds);
    }
  }

  /**
   * @param reused true when an earlier attempt of this run had already stored the adapter
   * @param keptStep the step whose adapters were stored: {@code steps}, or an earlier check's that training went back
   *     to when it ran out of budget (0: the untrained adapters, which change nothing); null in histories recorded
   *     before it
   */
  record Result(String adapterKey, int steps, double firstLoss, double finalLoss, boolean reused, Integer keptStep) {}

  @ActivityMethod(name = "TrainLora")
  Result trainLora(Input input);
}
