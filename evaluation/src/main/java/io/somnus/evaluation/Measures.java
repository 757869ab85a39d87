package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;

/**
 * The greedy probes the wake experiments share, scored as the reference scores them (the object
 * occurs in the continuation), so our recall and theirs mean the same thing.
 */
final class Measures {
  static final int RAW_TOKENS = 8;

  private Measures() {}

  static boolean raw(ModelRuntime rt, Fact f) {
    return new Probe(f, Probe.Kind.RAW, f.prompt(), f.object()).correct(rt.complete(f.prompt(), GenerationOptions.greedy(RAW_TOKENS)));
  }

  /** Facts whose raw completion no longer yields the object. */
  static List<Fact> degraded(ModelRuntime rt, List<Fact> facts) {
    List<Fact> out = new ArrayList<>();
    for (Fact f : facts) if (!raw(rt, f)) out.add(f);
    return out;
  }

  static double rawRecall(ModelRuntime rt, List<Fact> facts) {
    if (facts.isEmpty()) return Double.NaN;
    return 1 - degraded(rt, facts).size() / (double) facts.size();
  }

  /** Greedy continuations of the prompts, to compare before and after an edit. */
  static List<String> continuations(ModelRuntime rt, List<Fact> facts) {
    List<String> out = new ArrayList<>();
    for (Fact f : facts) out.add(rt.complete(f.prompt(), GenerationOptions.greedy(RAW_TOKENS)));
    return out;
  }

  /** Fraction of prompts whose continuation is unchanged. */
  static double unchanged(List<String> before, List<String> after) {
    int same = 0;
    for (int i = 0; i < before.size(); i++) if (before.get(i).equals(after.get(i))) same++;
    return before.isEmpty() ? Double.NaN : same / (double) before.size();
  }

  static double driftPercent(double ppl, double baseline) {
    return 100 * (ppl / baseline - 1);
  }
}
