package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a candidate may replace the live model: no fact the live model recalls may be
 * lost (per pathway, as configured), reference perplexity may not rise beyond the bound, and the
 * answers to fixed behaviour prompts may not shift. A failed check names what failed; the caller
 * then discards the candidate and the live model stays.
 */
public final class CandidateValidator {
  private final ValidationConfig config;
  private final ProbeSet probes;
  private final FactRecall recall;

  public CandidateValidator(ValidationConfig config, ProbeSet probes, FactRecall recall) {
    this.config = config;
    this.probes = probes;
    this.recall = recall;
  }

  /** Recall of {@code facts}, perplexity and behaviour answers of {@code rt}. */
  public Measurement measure(ModelRuntime rt, List<Fact> facts) {
    long t0 = System.nanoTime();
    Map<String, Boolean> chat = recall.chatAll(rt, facts);
    Map<String, Boolean> raw = recall.rawAll(rt, facts);
    double ppl = perplexity(rt);
    List<long[]> answers = new ArrayList<>();
    for (List<ChatMessage> p : probes.behaviourPrompts()) {
      answers.add(rt.generate(rt.tokenizer().encodeChat(p, true), GenerationOptions.greedy(probes.behaviourTokens())));
    }
    double[] lp = answerLogProbs(rt, answers);
    return new Measurement(chat, raw, ppl, answers, lp, (System.nanoTime() - t0) / 1e9);
  }

  public ValidationReport validate(Measurement live, ModelRuntime candidate, List<Fact> facts) {
    long t0 = System.nanoTime();
    Measurement after = measure(candidate, facts);
    List<String> reasons = new ArrayList<>();
    List<Fact> lostChat = lost(facts, live.chat(), after.chat());
    List<Fact> lostRaw = lost(facts, live.raw(), after.raw());
    if (config.requireChatRecall() && !lostChat.isEmpty()) {
      reasons.add(lostChat.size() + " fact(s) recalled in chat before are lost, e.g. '" + lostChat.get(0).sentence() + "'");
    }
    if (config.requireRawRecall() && !lostRaw.isEmpty()) {
      reasons.add(lostRaw.size() + " fact(s) recalled by raw completion before are lost, e.g. '" + lostRaw.get(0).sentence() + "'");
    }
    double drift = after.perplexity() / live.perplexity() - 1;
    if (!Double.isFinite(after.perplexity()) || drift > config.maxPerplexityDrift()) {
      reasons.add(String.format("reference perplexity %.4f → %.4f (%+.2f %%, bound %.2f %%)", live.perplexity(),
          after.perplexity(), 100 * drift, 100 * config.maxPerplexityDrift()));
    }
    // The candidate scores the live model's answers: a drop means it would now say something else.
    double[] candidateLp = answerLogProbs(candidate, live.behaviourAnswers());
    double shift = 0;
    int scored = 0;
    int changed = 0;
    for (int i = 0; i < candidateLp.length; i++) {
      if (Double.isNaN(live.behaviourLogProb()[i])) continue;
      shift += live.behaviourLogProb()[i] - candidateLp[i];
      scored++;
      if (!Arrays.equals(live.behaviourAnswers().get(i), after.behaviourAnswers().get(i))) changed++;
    }
    shift = scored == 0 ? 0 : shift / scored;
    if (!(shift <= config.maxBehaviourShift())) {
      reasons.add(String.format("behaviour answers lost %.4f nats/token of likelihood (bound %.4f); %d of %d answers changed",
          shift, config.maxBehaviourShift(), changed, scored));
    }
    return new ValidationReport(reasons.isEmpty(), reasons, live.chatRecall(), after.chatRecall(), live.rawRecall(),
        after.rawRecall(), lostChat, lostRaw, live.perplexity(), after.perplexity(), shift, changed, scored,
        (System.nanoTime() - t0) / 1e9);
  }

  private static List<Fact> lost(List<Fact> facts, Map<String, Boolean> before, Map<String, Boolean> after) {
    List<Fact> out = new ArrayList<>();
    for (Fact f : facts) {
      if (Boolean.TRUE.equals(before.get(f.id())) && !Boolean.TRUE.equals(after.get(f.id()))) out.add(f);
    }
    return out;
  }

  /** Geometric mean perplexity over the reference texts (mean log-perplexity, exponentiated). */
  private double perplexity(ModelRuntime rt) {
    double logSum = 0;
    for (String t : probes.referenceTexts()) logSum += Math.log(rt.perplexity(t));
    return Math.exp(logSum / probes.referenceTexts().size());
  }

  /** Mean log-probability per token of each answer after its prompt; NaN for an empty answer. */
  private double[] answerLogProbs(ModelRuntime rt, List<long[]> answers) {
    List<long[]> prompts = new ArrayList<>();
    List<long[]> targets = new ArrayList<>();
    List<Integer> index = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      if (answers.get(i).length == 0) continue;
      prompts.add(rt.tokenizer().encodeChat(probes.behaviourPrompts().get(i), true));
      targets.add(answers.get(i));
      index.add(i);
    }
    double[] out = new double[answers.size()];
    Arrays.fill(out, Double.NaN);
    if (prompts.isEmpty()) return out;
    float[][] lp = rt.targetLogProbs(prompts, targets);
    for (int k = 0; k < lp.length; k++) {
      double s = 0;
      for (float x : lp[k]) s += x;
      out[index.get(k)] = s / lp[k].length;
    }
    return out;
  }
}
