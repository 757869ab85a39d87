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
 * lost (per pathway, as configured) unless the candidate recovers enough facts the live model misses
 * ({@link ValidationConfig#recoveredPerLoss}), reference perplexity may not rise beyond the bound, and the
 * answers to fixed behaviour prompts may not shift, away from the live model's or from those the
 * model gave before its MEMIT edits. A failed check names what failed; the caller
 * then discards the candidate and the live model stays.
 */
public final class CandidateValidator {
  private final ValidationConfig config;
  private final ProbeSet probes;
  private final FactRecall recall;

  private final FactRecall knownRecall;
  /** A loss of exactly the bound (2 of 200 at 1 %) is within it, whatever the floating-point rounding. */
  private static final double ROUNDING = 1e-9;

  public CandidateValidator(ValidationConfig config, ProbeSet probes, FactRecall recall) {
    this.config = config;
    this.probes = probes;
    this.recall = recall;
    this.knownRecall = probes.knownFacts().isEmpty() ? null : new FactRecall(probes.knownQuestions(), recall.maxTokens());
  }

  /** Recall of {@code facts}, perplexity and behaviour answers of {@code rt}. */
  public Measurement measure(ModelRuntime rt, List<Fact> facts) {
    return measure(rt, facts, Progress.NONE);
  }

  /** As {@link #measure(ModelRuntime, List)}, reporting each fact, text and prompt as it is measured. */
  public Measurement measure(ModelRuntime rt, List<Fact> facts, Progress progress) {
    long t0 = System.nanoTime();
    Map<String, Boolean> chat = recall.chatAll(rt, facts, progress);
    Map<String, Boolean> raw = recall.rawAll(rt, facts, progress);
    double ppl = perplexity(rt, progress);
    List<long[]> answers = behaviourAnswers(rt, progress);
    double[] lp = answerLogProbs(rt, answers);
    return new Measurement(chat, raw, ppl, answers, lp, (System.nanoTime() - t0) / 1e9, measureKnown(rt, progress));
  }

  /**
   * Chat recall of the knowledge guard's known facts ({@link ProbeSet#knownFacts}), nothing else: the base model's
   * baseline for {@link ValidationConfig#maxKnowledgeLossOverLifetime}. Empty when the probes hold no known facts.
   */
  public Map<String, Boolean> measureKnown(ModelRuntime rt, Progress progress) {
    if (knownRecall == null) return Map.of();
    return knownRecall.chatAll(rt, probes.knownFacts(), (phase, done, total) -> progress.at("known facts", done, total));
  }

  /**
   * The behaviour answers of {@code rt} and their likelihood, nothing else (no recall, perplexity NaN): the baseline
   * {@code beforeEdits} of {@link #validate(Measurement, Measurement, ModelRuntime, List)}.
   */
  public Measurement measureBehaviour(ModelRuntime rt) {
    long t0 = System.nanoTime();
    List<long[]> answers = behaviourAnswers(rt, Progress.NONE);
    return new Measurement(Map.of(), Map.of(), Double.NaN, answers, answerLogProbs(rt, answers), (System.nanoTime() - t0) / 1e9);
  }

  private List<long[]> behaviourAnswers(ModelRuntime rt, Progress progress) {
    List<long[]> answers = new ArrayList<>();
    for (List<ChatMessage> p : probes.behaviourPrompts()) {
      answers.add(rt.generate(rt.tokenizer().encodeChat(p, true), GenerationOptions.greedy(probes.behaviourTokens())));
      progress.at("behaviour", answers.size(), probes.behaviourPrompts().size());
    }
    return answers;
  }

  public ValidationReport validate(Measurement live, ModelRuntime candidate, List<Fact> facts) {
    return validate(live, null, candidate, facts);
  }

  /**
   * @param beforeEdits a measurement of the live state's fused weights without its MEMIT edits (only its behaviour
   *     answers are used), or null to judge behaviour against the live model alone
   */
  public ValidationReport validate(Measurement live, Measurement beforeEdits, ModelRuntime candidate, List<Fact> facts) {
    return validate(live, beforeEdits, candidate, facts, Progress.NONE);
  }

  /** As {@link #validate(Measurement, Measurement, ModelRuntime, List)}, reporting the candidate's measurement. */
  public ValidationReport validate(Measurement live, Measurement beforeEdits, ModelRuntime candidate, List<Fact> facts,
      Progress progress) {
    return validate(live, beforeEdits, Map.of(), Map.of(), candidate, facts, progress);
  }

  /**
   * @param baseKnown the base model's answers to the known facts ({@link #measureKnown}), or empty to judge only
   *     against the live model
   * @param consolidatedKnown the candidate's answers with its MEMIT edits switched off: what its fused weights alone
   *     hold, which the lifetime bound judges (the edits are on their way out, and what they cost is the wake's, judged
   *     per sleep); empty to judge the candidate as it is
   */
  public ValidationReport validate(Measurement live, Measurement beforeEdits, Map<String, Boolean> baseKnown,
      Map<String, Boolean> consolidatedKnown, ModelRuntime candidate, List<Fact> facts, Progress progress) {
    long t0 = System.nanoTime();
    Measurement after = measure(candidate, facts, progress);
    List<String> reasons = new ArrayList<>();
    KnownFacts known = knownFacts(baseKnown, live.known(), after.known(),
        consolidatedKnown.isEmpty() ? after.known() : consolidatedKnown, facts, reasons);
    List<Fact> lostChat = recalledOnlyBy(facts, live.chat(), after.chat());
    List<Fact> lostRaw = recalledOnlyBy(facts, live.raw(), after.raw());
    List<Fact> recoveredChat = recalledOnlyBy(facts, after.chat(), live.chat());
    List<Fact> recoveredRaw = recalledOnlyBy(facts, after.raw(), live.raw());
    int lost = (config.requireChatRecall() ? lostChat.size() : 0) + (config.requireRawRecall() ? lostRaw.size() : 0);
    int recovered = (config.requireChatRecall() ? recoveredChat.size() : 0) + (config.requireRawRecall() ? recoveredRaw.size() : 0);
    if (!config.allows(lost, recovered)) {
      String tradeOff = config.recoveredPerLoss() == 0 ? ""
          : String.format(" while %d missed before are recalled (at least %d per loss needed)", recovered, config.recoveredPerLoss());
      if (config.requireChatRecall() && !lostChat.isEmpty()) {
        reasons.add(lostChat.size() + " fact(s) recalled in chat before are lost, e.g. '" + lostChat.get(0).sentence() + "'" + tradeOff);
      }
      if (config.requireRawRecall() && !lostRaw.isEmpty()) {
        reasons.add(lostRaw.size() + " fact(s) recalled by raw completion before are lost, e.g. '" + lostRaw.get(0).sentence() + "'" + tradeOff);
      }
    }
    double drift = after.perplexity() / live.perplexity() - 1;
    if (!Double.isFinite(after.perplexity()) || drift > config.maxPerplexityDrift()) {
      reasons.add(String.format("reference perplexity %.4f → %.4f (%+.2f %%, bound %.2f %%)", live.perplexity(),
          after.perplexity(), 100 * drift, 100 * config.maxPerplexityDrift()));
    }
    // The candidate scores the live model's answers: a drop means it would now say something else. With beforeEdits
    // it also scores the answers given without the MEMIT edits, and each prompt counts by the smaller drop: an edit
    // moves some answers it should not, and a candidate that gives the old answer back has undone that, not drifted
    // (evaluation/DECISIONS.md, "behaviour judged against the answers before the edits").
    double[] candidateLp = answerLogProbs(candidate, live.behaviourAnswers());
    double[] candidateBeforeLp = beforeEdits == null ? null : answerLogProbs(candidate, beforeEdits.behaviourAnswers());
    double shift = 0;
    int scored = 0;
    int changed = 0;
    for (int i = 0; i < candidateLp.length; i++) {
      if (Double.isNaN(live.behaviourLogProb()[i])) continue;
      double drop = live.behaviourLogProb()[i] - candidateLp[i];
      boolean same = Arrays.equals(live.behaviourAnswers().get(i), after.behaviourAnswers().get(i));
      if (candidateBeforeLp != null && !Double.isNaN(beforeEdits.behaviourLogProb()[i])) {
        drop = Math.min(drop, beforeEdits.behaviourLogProb()[i] - candidateBeforeLp[i]);
        same |= Arrays.equals(beforeEdits.behaviourAnswers().get(i), after.behaviourAnswers().get(i));
      }
      shift += drop;
      scored++;
      if (!same) changed++;
    }
    shift = scored == 0 ? 0 : shift / scored;
    if (!(shift <= config.maxBehaviourShift())) {
      reasons.add(String.format("behaviour answers lost %.4f nats/token of likelihood (bound %.4f); %d of %d answers changed",
          shift, config.maxBehaviourShift(), changed, scored));
    }
    return new ValidationReport(reasons.isEmpty(), reasons, live.chatRecall(), after.chatRecall(), live.rawRecall(),
        after.rawRecall(), lostChat, lostRaw, recoveredChat, recoveredRaw, live.perplexity(), after.perplexity(), shift, changed, scored,
        (System.nanoTime() - t0) / 1e9, known);
  }

  /**
   * The knowledge guard: the share of its known-fact recall the candidate loses against the live model (per sleep),
   * and the share of the base model's its fused weights have lost over all sleeps (lifetime), each within its bound,
   * else a reason naming the facts lost. Known facts that a taught fact gives a new value are left out of both: their
   * old answer going is what the user asked for.
   */
  private KnownFacts knownFacts(Map<String, Boolean> baseAll, Map<String, Boolean> liveAll, Map<String, Boolean> afterAll,
      Map<String, Boolean> consolidatedAll, List<Fact> taught, List<String> reasons) {
    if (afterAll.isEmpty() || liveAll.isEmpty()) return KnownFacts.none();
    // A known fact the user gave a new value (same subject and relation, another object) is an intended change, not a loss.
    java.util.Set<String> updated = new java.util.HashSet<>();
    for (Fact t : taught) updated.add(t.subject() + "\u0000" + t.relation());
    java.util.Set<String> superseded = new java.util.HashSet<>();
    List<Fact> guarded = new ArrayList<>();
    for (Fact k : probes.knownFacts()) {
      if (updated.contains(k.subject() + "\u0000" + k.relation()) && !taught.contains(k)) superseded.add(k.id());
      else guarded.add(k);
    }
    Map<String, Boolean> base = without(baseAll, superseded);
    Map<String, Boolean> live = without(liveAll, superseded);
    Map<String, Boolean> after = without(afterAll, superseded);
    Map<String, Boolean> consolidated = without(consolidatedAll, superseded);
    List<Fact> lost = recalledOnlyBy(guarded, live, after);
    double liveRate = FactRecall.rate(live);
    double afterRate = FactRecall.rate(after);
    double perSleep = liveRate > 0 ? 1 - afterRate / liveRate : 0;
    if (perSleep > config.maxKnowledgeLossPerSleep() + ROUNDING) {
      reasons.add(String.format("known facts: recall %.3f → %.3f (%.1f %% lost, bound %.1f %% per sleep); %d lost, e.g. %s",
          liveRate, afterRate, 100 * perSleep, 100 * config.maxKnowledgeLossPerSleep(), lost.size(), examples(lost)));
    }
    double baseRate = base.isEmpty() ? Double.NaN : FactRecall.rate(base);
    double consolidatedRate = FactRecall.rate(consolidated);
    double overLifetime = baseRate > 0 ? 1 - consolidatedRate / baseRate : 0;
    if (overLifetime > config.maxKnowledgeLossOverLifetime() + ROUNDING) {
      List<Fact> lostSinceBase = recalledOnlyBy(guarded, base, consolidated);
      reasons.add(String.format("known facts: the fused weights without their MEMIT edits recall %.3f against the base model's"
          + " %.3f (%.1f %% lost, bound %.1f %% over the lifetime); %d lost since, e.g. %s", consolidatedRate, baseRate,
          100 * overLifetime, 100 * config.maxKnowledgeLossOverLifetime(), lostSinceBase.size(), examples(lostSinceBase)));
    }
    return new KnownFacts(baseRate, liveRate, afterRate, consolidatedRate, lost, recalledOnlyBy(guarded, after, live));
  }

  private static Map<String, Boolean> without(Map<String, Boolean> answers, java.util.Set<String> ids) {
    if (ids.isEmpty()) return answers;
    Map<String, Boolean> out = new java.util.LinkedHashMap<>(answers);
    out.keySet().removeAll(ids);
    return out;
  }

  private static String examples(List<Fact> facts) {
    return facts.stream().limit(3).map(f -> "'" + f.sentence() + "'").collect(java.util.stream.Collectors.joining(", "));
  }

  /** The facts {@code one} recalls and {@code other} does not: lost, or with the two swapped, recovered. */
  private static List<Fact> recalledOnlyBy(List<Fact> facts, Map<String, Boolean> one, Map<String, Boolean> other) {
    List<Fact> out = new ArrayList<>();
    for (Fact f : facts) {
      if (Boolean.TRUE.equals(one.get(f.id())) && !Boolean.TRUE.equals(other.get(f.id()))) out.add(f);
    }
    return out;
  }

  /** Geometric mean perplexity over the reference texts (mean log-perplexity, exponentiated). */
  public double referencePerplexity(ModelRuntime rt) {
    return perplexity(rt, Progress.NONE);
  }

  private double perplexity(ModelRuntime rt, Progress progress) {
    double logSum = 0;
    int done = 0;
    for (String t : probes.referenceTexts()) {
      logSum += Math.log(rt.perplexity(t));
      progress.at("perplexity", ++done, probes.referenceTexts().size());
    }
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
