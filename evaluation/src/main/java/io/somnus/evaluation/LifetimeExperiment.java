package io.somnus.evaluation;

import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.workflows.SleepOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Lifetime (reference §4 phase 2 "longevity"): waves of new facts, each written by the product's wake as one turn and
 * followed by one sleep of the product, on one model in an embedded stack. After each
 * sleep: chat and raw recall of the first wave (oldest), the newest wave and all facts so far, and
 * perplexity drift from the base model.
 */
public final class LifetimeExperiment implements Experiment {
  record WavePoint(long seed, int wave, int factsSoFar, double chatAll, double rawAll, double chatOldest, double chatNewest,
      double knownAfterWake, double known, double pplDriftPct, String status, int trainingSteps, double sleepSeconds, String reason, int activeEdits,
      int factsAtStage3, List<String> refusedAttempts, int[] activeEditsByScale, int[] factsByStage, double chatAfterWake) {}

  @Override
  public String name() {
    return "lifetime";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    long t0 = System.nanoTime();
    Profile p = ctx.profile();
    Models models = ctx.models();
    LiveProbes probes = new LiveProbes(models, p);
    List<String> pplTexts = models.heldOutTexts(p, 10);
    List<WavePoint> points = new ArrayList<>();
    // Every seed starts from the same base model and asks the same sample, greedily: one measurement serves all.
    double baseKnown = Double.NaN;
    for (long seed : p.seeds()) {
      // Spare candidates: a fact MEMIT skips (object the model cannot produce) is replaced by the next one.
      List<Fact> pool = Probes.sample(models.world(), Math.min(3 * p.lifetimeWaves() * p.lifetimeWaveSize(),
          models.world().heldOutFacts().size()), seed).stream().map(WorldFact::fact).toList();
      int cursor = 0;
      String name = "lifetime-s" + seed;
      Path data = ctx.file("work").resolve(name);
      double ppl0;
      try (DjlModelRuntime rt = models.load()) {
        ppl0 = Models.meanPerplexity(rt, pplTexts);
      }
      List<List<Fact>> waves = new ArrayList<>();
      try (ProductModel m = ProductModel.start(name, models, p.validation(), data);
          CheckTrace trace = ctx.checkTrace(name(), "seed " + seed)) {
        if (Double.isNaN(baseKnown)) baseKnown = probes.knownRecall(m.live());
        for (int w = 0; w < p.lifetimeWaves(); w++) {
          List<Fact> candidates = pool.subList(Math.min(cursor, pool.size()), Math.min(pool.size(), cursor + 3 * p.lifetimeWaveSize()));
          // Earlier waves' facts are preservation rows: a new edit must not overwrite what the fused weights hold.
          List<Fact> earlier = waves.stream().flatMap(List::stream).toList();
          ModelRuntime live = m.live();
          EditResult r = edit(models.memit(live), live, models.wakeStatTexts(), candidates, earlier);
          if (r.edit() == null) {
            ctx.log("lifetime seed %d wave %d: MEMIT wrote nothing", seed, w + 1);
            cursor += candidates.size();
            continue;
          }
          // The wave is then written by the product's wake as one turn (preservation rows and the repair, which may
          // merge earlier waves' edits); the plain solve above only picks which candidates MEMIT can write.
          List<Fact> chosen = r.edit().facts().subList(0, Math.min(p.lifetimeWaveSize(), r.edit().facts().size()));
          List<Fact> written = m.teach(chosen).written();
          if (written.isEmpty()) {
            ctx.log("lifetime seed %d wave %d: the wake wrote nothing", seed, w + 1);
            cursor += candidates.size();
            continue;
          }
          cursor += candidates.indexOf(chosen.get(chosen.size() - 1)) + 1;
          double knownAfterWake = probes.knownRecall(m.live());
          waves.add(written);
          SleepRun rep = m.sleep();
          if (trace != null) trace.write("sleep " + (w + 1), rep.checks());
          List<Fact> all = waves.stream().flatMap(List::stream).toList();
          Measurement after = probes.measure(m.live(), all);
          double oldest = rate(after.chat(), waves.get(0));
          double newest = rate(after.chat(), waves.get(waves.size() - 1));
          MemoryState st = m.liveState();
          int[] byScale = activeEditsByScale(st);
          int active = Arrays.stream(byScale).sum();
          int[] byStage = st.stages().countByStage();
          double known = probes.knownRecall(m.live());
          points.add(new WavePoint(seed, w + 1, all.size(), after.chatRecall(), after.rawRecall(), oldest, newest, knownAfterWake,
              known, Measures.driftPercent(Models.meanPerplexity(m.live(), pplTexts), ppl0),
              rep.outcome().wireName(), rep.trainingSteps(), rep.seconds(), rep.reason(), active, byStage[3],
              rep.refusedAttempts(), byScale, byStage, rep.chatRecallBefore()));
          // Validation's baseline is the live model after the wake: a sleep that ends with low recall started from it or caused it.
          String beforeSleep = Double.isNaN(rep.chatRecallBefore()) ? ""
              : String.format(Locale.ROOT, " (before the sleep %.2f)", rep.chatRecallBefore());
          ctx.log("lifetime seed %d wave %d: %s, chat all %.2f oldest %.2f newest %.2f raw %.2f%s known %.2f (after the wake %.2f), %d MEMIT edits active (at scale 1.0/0.5/0.1: %s), facts at stage 0/1/2/3: %s, %d LoRA steps%s (loss %.3f → %.3f), %.0f s %s%s%s",
              seed, w + 1, rep.outcome(), after.chatRecall(), oldest, newest, after.rawRecall(), beforeSleep, known, knownAfterWake,
              active, slashed(byScale), slashed(byStage), rep.trainingSteps(), keptStep(rep), rep.firstLoss(), rep.finalLoss(),
              rep.seconds(), rep.reason(),
              rep.refusedAttempts().isEmpty() ? "" : " (" + rep.attempts() + " attempts, refused first: " + rep.refusedAttempts() + ")",
              rep.keptScale().isEmpty() ? "" : "; the gate kept the scale of " + rep.keptScale());
        }
      }
      Sweeps.deleteTree(data);
    }
    Markdown t = new Markdown("wave", "facts so far", "chat recall (all) after the wake → after the sleep", "raw recall (all)", "chat recall (oldest wave)",
        "chat recall (newest wave)", "known-fact chat recall after the wake → after the sleep", "PPL drift % vs base", "promoted", "MEMIT edits active", "of which at scale 1.0/0.5/0.1", "facts at stage 3", "LoRA steps",
        "sleep s");
    List<Double> xs = new ArrayList<>();
    List<Spread> all = new ArrayList<>();
    List<Spread> oldest = new ArrayList<>();
    for (int w = 1; w <= p.lifetimeWaves(); w++) {
      int ww = w;
      List<WavePoint> at = points.stream().filter(x -> x.wave() == ww).toList();
      if (at.isEmpty()) continue;
      Spread a = Spread.of(at.stream().mapToDouble(WavePoint::chatAll).toArray());
      Spread o = Spread.of(at.stream().mapToDouble(WavePoint::chatOldest).toArray());
      xs.add((double) w);
      all.add(a);
      oldest.add(o);
      t.row(w, Math.round(at.stream().mapToInt(WavePoint::factsSoFar).average().orElse(0)),
          Spread.of(at.stream().mapToDouble(WavePoint::chatAfterWake).toArray()).format(2) + " → " + a.format(2), Spread.of(at.stream().mapToDouble(WavePoint::rawAll).toArray()).format(2),
          o.format(2), Spread.of(at.stream().mapToDouble(WavePoint::chatNewest).toArray()).format(2),
          Spread.of(at.stream().mapToDouble(WavePoint::knownAfterWake).toArray()).format(2) + " → "
              + Spread.of(at.stream().mapToDouble(WavePoint::known).toArray()).format(2),
          Spread.of(at.stream().mapToDouble(WavePoint::pplDriftPct).toArray()).format(1),
          at.stream().filter(x -> x.status().equals(SleepOutcome.PROMOTED.wireName())).count() + "/" + at.size(),
          Spread.of(at.stream().mapToDouble(WavePoint::activeEdits).toArray()).format(1),
          meanSlashed(at.stream().map(WavePoint::activeEditsByScale).toList()),
          Spread.of(at.stream().mapToDouble(WavePoint::factsAtStage3).toArray()).format(1),
          Spread.of(at.stream().mapToDouble(WavePoint::trainingSteps).toArray()).format(0),
          Spread.of(at.stream().mapToDouble(WavePoint::sleepSeconds).toArray()).format(0));
    }
    List<String> plots = new ArrayList<>();
    if (!xs.isEmpty()) {
      Charts.line(ctx.file("lifetime.png"), "Lifetime: " + p.lifetimeWaveSize() + " facts per wave, one sleep per wave",
          "wave", "chat recall", List.of(Charts.Line.of("all facts so far", xs, all), Charts.Line.of("oldest wave", xs, oldest)), false);
      plots.add("lifetime.png");
    }
    String method = String.format(Locale.ROOT, """
        Per seed, %d waves of %d held-out facts (a fact MEMIT skips is replaced by the next candidate), on one
        model in the product (an embedded stack). Each wave is written by the product's wake as one turn (one edit on
        the live version with every fact already in memory as a preservation row, then the repair, which tops up
        displaced full-scale facts and merges their edits), then one sleep of the product (as in the consolidation
        sweep). Measured after each sleep on the live version. Chat recall after the wake: the sleep's own audit. Known-fact chat recall: %d facts of the world the model learned in pretraining
        (as in the consolidation sweep), against the world's truth.""", p.lifetimeWaves(),
        p.lifetimeWaveSize(), LiveProbes.KNOWN_SAMPLE);
    String cmp = String.format(Locale.ROOT, """
        Reference §4 phase 2 (Llama-3.1-70B, 16 layers, 10 facts per cycle, single run): cumulative, oldest and
        newest recall 1.00 for cycles 1–3, refPPL-3 5.08–5.10 (baseline 5.096); cycle 4 ran out of GPU memory.
        Reference §6.2 (8B): after a LoRA nap, batch A recall fell from 1.00 to 0.20 — the forgetting our
        validation gate (%s) is there to refuse.
        """, p.recallRule());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("points", points);
    data.put("baseKnownRecall", baseKnown);
    SleepOutcomes outcomes = new SleepOutcomes();
    for (WavePoint x : points) {
      outcomes.add(String.format(Locale.ROOT, "seed %d wave %d", x.seed(), x.wave()), x.refusedAttempts(), x.status(), x.reason());
    }
    String body = String.format(Locale.ROOT, "Known-fact chat recall of the base model, before the first wave: %.2f.%n%nMean over seeds:%n%n",
        baseKnown) + t + outcomes.section();
    return new ExperimentResult(name(), "Lifetime", method, body, cmp, plots, data,
        (System.nanoTime() - t0) / 1e9);
  }

  private static EditResult edit(MemitConfig config, ModelRuntime live, List<String> refs, List<Fact> wave, List<Fact> preserve) {
    CovarianceStats stats = CovarianceStats.loadOrCollect(live.model(), live.tokenizer(), config.layers(), refs,
        Runtimes.somnusHome().resolve("cache"));
    return new MemitEditor(live, config, stats).compute(wave, preserve, null);
  }

  /**
   * Active edits by the stage of their least consolidated fact (0, 1, 2), that is by scale 1.0, 0.5, 0.1: an edit
   * held at 0.1 by one slow fact costs far less MEMIT capacity than a new one.
   */
  static int[] activeEditsByScale(MemoryState st) {
    int[] n = new int[FactStage.CONSOLIDATED.level()];
    for (var e : st.edits()) {
      if (!st.stages().dissolved(e)) n[st.stages().minStage(e).level()]++;
    }
    return n;
  }

  /** Empty when the candidate was fused from the last step's adapters; else which step's it was fused from. */
  static String keptStep(SleepRun rep) {
    if (rep.keptStep() == rep.trainingSteps()) return "";
    return rep.keptStep() == 0 ? " (kept none: the candidate's fused weights are the live ones)"
        : " (kept step " + rep.keptStep() + "'s adapters)";
  }

  private static String slashed(int[] counts) {
    return Arrays.stream(counts).mapToObj(Integer::toString).collect(Collectors.joining("/"));
  }

  /** Per-position means over seeds, as {@code a/b/c} with one decimal when the seeds disagree. */
  static String meanSlashed(List<int[]> perSeed) {
    if (perSeed.isEmpty()) return "–";
    int k = perSeed.get(0).length;
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int ii = i;
      double mean = perSeed.stream().mapToInt(a -> a[ii]).average().orElse(0);
      parts.add(mean == Math.rint(mean) ? Long.toString(Math.round(mean)) : String.format(Locale.ROOT, "%.1f", mean));
    }
    return String.join("/", parts);
  }

  private static double rate(Map<String, Boolean> hits, List<Fact> facts) {
    return facts.stream().filter(f -> Boolean.TRUE.equals(hits.get(f.id()))).count() / (double) facts.size();
  }
}
