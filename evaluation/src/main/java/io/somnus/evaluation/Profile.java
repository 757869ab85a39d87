package io.somnus.evaluation;

import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.engine.tiny.SomnusTiny;
import java.util.List;

/**
 * How big each experiment is. {@link #QUICK} fits in 10 minutes on a 2-core machine (the small
 * test model, few facts); {@link #STANDARD} in 60 minutes on somnus-tiny. Both use at least three
 * seeds: the seed picks which held-out facts are taught, and seeds MEMIT and LoRA.
 *
 * @param wakeCheckpoints fact counts at which wake capacity is measured (facts written one edit each)
 * @param retrievalFacts facts taught per seed in the retrieval comparison
 * @param retrievalTopK sentences retrieved per question
 * @param paraphrases paraphrased questions and cloze prompts asked per fact
 * @param sleepFacts facts in the overloaded wake before sleep convergence
 * @param sleepCycles sleeps in the convergence and consolidation experiments
 * @param consolidationSizes fact counts of the consolidation sweep
 * @param lifetimeWaves waves of facts in the lifetime experiment, each followed by a sleep
 * @param lifetimeWaveSize facts per wave
 * @param driftCheckpoints fact counts at which drift is measured
 * @param referenceTexts texts MEMIT's key statistics are collected from; perplexity is measured on texts after them.
 *     On somnus-tiny, 300 instead of 30 cut out-of-sample perplexity drift after 30 one-fact edits from +11 % to +3 %
 *     (1000 was no better): 30 texts' second moment protected those texts and little else
 * @param benchReps repetitions per benchmark after warm-up
 * @param benchGrowth active-fact counts for cost growth
 * @param validation when the experiments' sleeps promote a candidate (the product's default unless overridden)
 */
public record Profile(String name, SomnusTiny.Variant variant, List<Long> seeds, List<Integer> wakeCheckpoints,
    int retrievalFacts, int retrievalTopK, int paraphrases, int sleepFacts, int sleepCycles, List<Integer> consolidationSizes,
    int lifetimeWaves, int lifetimeWaveSize, List<Integer> driftCheckpoints, int referenceTexts, int benchReps,
    List<Integer> benchGrowth, ValidationConfig validation) {

  public Profile {
    seeds = List.copyOf(seeds);
    // The named profiles use three seeds; fewer (a --seeds override for a tuning run) reports n = 1, never a spread.
    if (seeds.isEmpty()) throw new IllegalArgumentException("a profile needs at least one seed");
    consolidationSizes = List.copyOf(consolidationSizes);
    if (lifetimeWaves <= 0 || lifetimeWaveSize <= 0) throw new IllegalArgumentException("lifetime waves and wave size must be positive");
  }

  /**
   * This profile with some sizes replaced (null keeps this profile's): the command line's way to run the sweep at
   * 20 and 40 facts, or the lifetime at waves of 20, without making every suite run that long.
   */
  public Profile with(List<Long> seeds, List<Integer> consolidationSizes, Integer lifetimeWaves, Integer lifetimeWaveSize) {
    return new Profile(name, variant, seeds != null ? seeds : this.seeds, wakeCheckpoints, retrievalFacts, retrievalTopK,
        paraphrases, sleepFacts, sleepCycles, consolidationSizes != null ? consolidationSizes : this.consolidationSizes,
        lifetimeWaves != null ? lifetimeWaves : this.lifetimeWaves, lifetimeWaveSize != null ? lifetimeWaveSize : this.lifetimeWaveSize,
        driftCheckpoints, referenceTexts, benchReps, benchGrowth, validation);
  }

  /** This profile with its sleeps validated by another rule, e.g. the strict one to compare against the default. */
  public Profile with(ValidationConfig validation) {
    return new Profile(name, variant, seeds, wakeCheckpoints, retrievalFacts, retrievalTopK, paraphrases, sleepFacts,
        sleepCycles, consolidationSizes, lifetimeWaves, lifetimeWaveSize, driftCheckpoints, referenceTexts, benchReps,
        benchGrowth, validation);
  }

  /** The recall rule of {@link #validation} as the method texts state it. */
  String recallRule() {
    int k = validation.recoveredPerLoss();
    return k == 0 ? "no recalled answer may be lost"
        : "no recalled answer lost unless " + (k == 1 ? "one missed one is" : k + " missed ones are") + " recovered for it";
  }

  public static final Profile QUICK = new Profile("quick", SomnusTiny.Variant.TEST, List.of(1L, 2L, 3L),
      List.of(1, 2, 4, 6), 6, 3, 1, 6, 2, List.of(4), 2, 3, List.of(3, 6), 60, 3, List.of(2, 4, 8),
      ValidationConfig.defaults());

  /**
   * Sized from the quick run's CPU time (a LoRA sleep is the unit of cost: about 30 s for 5 facts on the
   * test model with 2 idle cores, roughly twice that on somnus-tiny) so the whole suite fits in an hour.
   */
  public static final Profile STANDARD = new Profile("standard", SomnusTiny.Variant.DEFAULT, List.of(1L, 2L, 3L),
      List.of(1, 5, 10, 15, 20, 30), 30, 3, 2, 16, 3, List.of(5, 10), 3, 5, List.of(5, 10, 20, 30), 300, 5,
      List.of(10, 30, 100), ValidationConfig.defaults());
}
