package io.somnus.engine.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Greedy continuations of many prompts, decoded side by side: prompts of equal length form one batch, so every row is
 * at the same position, no padding or mask is needed, and each row's tokens are exactly those it would get alone.
 * What recall probes and training's recall checks ask hundreds of times per sleep.
 */
public final class GreedyDecoder {
  /**
   * Prompts decoded side by side at most: it bounds the prompt pass's activations, rows × prompt length × hidden size
   * per layer (the logits are the last position's only).
   */
  public static final int BATCH = 64;

  private GreedyDecoder() {}

  /**
   * The greedy continuation of each prompt, up to its budget or a stop token (not included), in order.
   *
   * @param hooks what each pass adds (adapters); decoding reads only the last position's logits, so hooks built with
   *     {@link ForwardHooks#lastPositionLogits()} spare the vocabulary projection of the prompt's other positions
   * @param budgets the most new tokens per prompt (cut to what the context leaves)
   */
  public static List<long[]> decodeAll(LlamaModel model, ForwardHooks hooks, Set<Long> stopIds, List<long[]> prompts, int[] budgets) {
    if (budgets.length != prompts.size()) throw new IllegalArgumentException(budgets.length + " budgets for " + prompts.size() + " prompts");
    Map<Integer, List<Integer>> byLength = new TreeMap<>();
    for (int i = 0; i < prompts.size(); i++) byLength.computeIfAbsent(prompts.get(i).length, k -> new ArrayList<>()).add(i);
    long[][] out = new long[prompts.size()][];
    for (List<Integer> group : byLength.values()) {
      for (int from = 0; from < group.size(); from += BATCH) {
        List<Integer> rows = group.subList(from, Math.min(group.size(), from + BATCH));
        long[][] said = decodeSameLength(model, hooks, stopIds, rows.stream().map(prompts::get).toList(),
            rows.stream().mapToInt(r -> budgets[r]).toArray());
        for (int r = 0; r < rows.size(); r++) out[rows.get(r)] = said[r];
      }
    }
    return Arrays.asList(out);
  }

  /** Greedy continuations of prompts that all have the same length, each to its own budget or stop token. */
  private static long[][] decodeSameLength(LlamaModel model, ForwardHooks hooks, Set<Long> stopIds, List<long[]> prompts,
      int[] budgets) {
    int n = prompts.size();
    int[] budget = new int[n];
    long[][] out = new long[n][];
    int[] produced = new int[n];
    boolean[] done = new boolean[n];
    int open = 0;
    long[][] step = new long[n][];
    for (int r = 0; r < n; r++) {
      budget[r] = Math.max(0, Math.min(budgets[r], model.config().maxPositionEmbeddings() - prompts.get(r).length));
      out[r] = new long[budget[r]];
      done[r] = budget[r] == 0;
      if (!done[r]) open++;
      step[r] = prompts.get(r).clone();
    }
    try (NDManager scope = model.manager().newSubManager(); KvCache cache = new KvCache(scope, model.config().numLayers())) {
      while (open > 0) {
        long[] next;
        try (NDManager s = scope.newSubManager()) {
          NDArray logits = model.forward(s, step, hooks, cache).logits();
          next = logits.get(new NDIndex(":, -1")).argMax(1).toLongArray();
        }
        for (int r = 0; r < n; r++) {
          if (done[r]) continue;
          if (stopIds.contains(next[r])) {
            done[r] = true;
          } else {
            out[r][produced[r]++] = next[r];
            done[r] = produced[r] == budget[r];
          }
          if (done[r]) open--;
        }
        for (int r = 0; r < n; r++) step[r] = new long[] {next[r]};
      }
    }
    for (int r = 0; r < n; r++) out[r] = Arrays.copyOf(out[r], produced[r]);
    return out;
  }
}
