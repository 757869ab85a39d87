package io.somnus.engine.consolidation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.KvCache;
import io.somnus.engine.model.LowRankAdapter;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Greedy chat answers with adapters hooked into the forward pass, to see what a trained adapter
 * does before anything is fused ({@link ModelRuntime#chat} always runs the plain model).
 */
final class HookedChat {
  private HookedChat() {}

  static String answer(ModelRuntime rt, Map<String, LowRankAdapter> adapters, String question, int maxNewTokens) {
    long[] prompt = rt.tokenizer().encodeChat(List.of(ChatMessage.user(question)), true);
    Set<Long> stop = rt.tokenizer().stopIds();
    long[] out = new long[maxNewTokens];
    int n = 0;
    try (NDManager scope = rt.model().manager().newSubManager(); KvCache cache = new KvCache(scope, rt.config().numLayers())) {
      long[][] step = {prompt};
      while (n < maxNewTokens) {
        long next;
        try (NDManager s = scope.newSubManager()) {
          NDArray logits = rt.model().forward(s, step, ForwardHooks.none().adapters(adapters), cache).logits();
          next = logits.get(new NDIndex(0, step[0].length - 1)).argMax().getLong();
        }
        if (stop.contains(next)) break;
        out[n++] = next;
        step = new long[][] {{next}};
      }
    }
    return rt.tokenizer().decode(Arrays.copyOf(out, n)).strip();
  }
}
