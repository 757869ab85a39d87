package io.somnus.engine.runtime;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Next-token choice from one row of logits: repetition penalty, then greedy or temperature + top-p. */
final class Sampler {
  private Sampler() {}

  static long pick(float[] logits, long[] history, int historyLen, GenerationOptions o, SplittableRandom random) {
    float[] z = logits.clone();
    if (o.repetitionPenalty() != 1.0) {
      boolean[] seen = new boolean[z.length];
      for (int i = 0; i < historyLen; i++) {
        int id = (int) history[i];
        if (seen[id]) continue;
        seen[id] = true;
        z[id] = z[id] > 0 ? (float) (z[id] / o.repetitionPenalty()) : (float) (z[id] * o.repetitionPenalty());
      }
    }
    if (o.temperature() == 0) return argmax(z);
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) max = Math.max(max, v);
    double[] p = new double[z.length];
    double sum = 0;
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp((z[i] - max) / o.temperature());
      sum += p[i];
    }
    Integer[] order = new Integer[z.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    double kept = 0;
    int cut = 0;
    while (cut < order.length && (kept < o.topP() * sum || cut == 0)) kept += p[order[cut++]];
    double r = random.nextDouble() * kept;
    for (int i = 0; i < cut; i++) {
      r -= p[order[i]];
      if (r <= 0) return order[i];
    }
    return order[cut - 1];
  }

  static int argmax(float[] z) {
    int best = 0;
    for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
    return best;
  }
}
