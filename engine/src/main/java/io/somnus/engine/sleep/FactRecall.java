package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GreedyDecoder;
import java.util.ArrayList;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy recall probes. Chat: the fact's canonical question as a user turn, hit when the answer
 * contains the object. Raw: the fact's "subject relation" prompt continued, hit when the
 * continuation contains the object. Greedy decoding, so a probe never depends on a random draw.
 */
public final class FactRecall {
  private final FactQuestions questions;
  private final int maxTokens;

  public FactRecall(FactQuestions questions, int maxTokens) {
    if (maxTokens <= 0) throw new IllegalArgumentException("probe needs at least one token");
    this.questions = questions;
    this.maxTokens = maxTokens;
  }

  public FactQuestions questions() {
    return questions;
  }

  public int maxTokens() {
    return maxTokens;
  }

  /** Whether the chat answer to the fact's canonical question states it exactly: see {@link #exact}. */
  public boolean chat(ModelRuntime rt, Fact f) {
    String answer = rt.chat(List.of(new ChatMessage("user", questions.canonical(f))), GenerationOptions.greedy(maxTokens));
    return exact(answer, f);
  }

  /**
   * An answer states a fact when it names the object and the subject intact: "Felix Nimora works as a florist." does
   * not state that Felix Nakashima does, though it names his job.
   */
  public static boolean exact(String answer, Fact f) {
    return answer.contains(f.object()) && answer.contains(f.subject());
  }

  public boolean raw(ModelRuntime rt, Fact f) {
    return rt.complete(f.prompt(), GenerationOptions.greedy(maxTokens)).contains(f.object());
  }

  /** Fact id → chat hit. */
  public Map<String, Boolean> chatAll(ModelRuntime rt, List<Fact> facts) {
    return chatAll(rt, facts, Progress.NONE);
  }

  /** Fact id → chat hit, the questions answered side by side ({@link ModelRuntime#chatAll}), reported per batch. */
  public Map<String, Boolean> chatAll(ModelRuntime rt, List<Fact> facts, Progress progress) {
    Map<String, Boolean> out = new LinkedHashMap<>();
    for (int from = 0; from < facts.size(); from += GreedyDecoder.BATCH) {
      List<Fact> batch = facts.subList(from, Math.min(facts.size(), from + GreedyDecoder.BATCH));
      List<List<ChatMessage>> asked = new ArrayList<>(batch.size());
      for (Fact f : batch) asked.add(List.of(new ChatMessage("user", questions.canonical(f))));
      List<String> said = rt.chatAll(asked, GenerationOptions.greedy(maxTokens));
      for (int i = 0; i < batch.size(); i++) out.put(batch.get(i).id(), exact(said.get(i), batch.get(i)));
      progress.at("chat recall", out.size(), facts.size());
    }
    return out;
  }

  /** Fact id → raw hit. */
  public Map<String, Boolean> rawAll(ModelRuntime rt, List<Fact> facts) {
    return rawAll(rt, facts, Progress.NONE);
  }

  /** Fact id → raw hit, reporting each fact completed. */
  public Map<String, Boolean> rawAll(ModelRuntime rt, List<Fact> facts, Progress progress) {
    Map<String, Boolean> out = new LinkedHashMap<>();
    for (Fact f : facts) {
      out.put(f.id(), raw(rt, f));
      progress.at("raw recall", out.size(), facts.size());
    }
    return out;
  }

  public static double rate(Map<String, Boolean> hits) {
    if (hits.isEmpty()) return Double.NaN;
    return hits.values().stream().filter(b -> b).count() / (double) hits.size();
  }
}
