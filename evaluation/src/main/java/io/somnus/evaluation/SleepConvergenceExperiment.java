package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sleep convergence (reference §3, its "v7" MEMIT-only sleep), a study of the editor's refresh rather than a sleep of
 * the product (that is the consolidation sweep's): an overloaded wake (facts written one
 * unconstrained edit each), then maintenance cycles. Each cycle audits raw recall of every fact and
 * rewrites the degraded ones with the engine's constrained refresh (null-space projected keys that
 * protect the healthy facts and the dominant reference-text directions). Converged = a cycle that
 * finds nothing degraded.
 */
public final class SleepConvergenceExperiment implements Experiment {
  record CyclePoint(long seed, int cycle, double recall, int degraded, int refreshed, double pplDriftPct, double seconds, double healthyKept) {}

  @Override
  public String name() {
    return "sleep-convergence";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    long t0 = System.nanoTime();
    Profile p = ctx.profile();
    Models models = ctx.models();
    List<String> refs = models.statTexts(p);
    List<String> pplTexts = models.heldOutTexts(p, 10);
    List<CyclePoint> points = new ArrayList<>();
    List<Integer> cyclesToConverge = new ArrayList<>();
    double threshold = Double.NaN;
    for (long seed : p.seeds()) {
      List<WorldFact> pool = Probes.sample(models.world(), p.sleepFacts(), seed);
      try (DjlModelRuntime rt = models.load(); MemitSession wake = new MemitSession(rt, refs, models.memit(rt))) {
        threshold = wake.editor().config().nullSpaceThreshold();
        double ppl0 = Models.meanPerplexity(rt, pplTexts);
        List<Fact> written = new ArrayList<>();
        for (WorldFact wf : pool) written.addAll(wake.write(List.of(wf.fact()), false));
        List<Fact> bad = Measures.degraded(rt, written);
        points.add(new CyclePoint(seed, 0, 1 - bad.size() / (double) written.size(), bad.size(), 0,
            Measures.driftPercent(Models.meanPerplexity(rt, pplTexts), ppl0), 0, Double.NaN));
        Integer converged = bad.isEmpty() ? 0 : null;
        for (int c = 1; c <= p.sleepCycles(); c++) {
          long tc = System.nanoTime();
          int refreshed = 0;
          List<Fact> healthy = new ArrayList<>(written);
          healthy.removeAll(bad);
          if (!bad.isEmpty()) {
            MemitEditor.RefreshResult r = wake.editor().refresh(wake.edits(), bad);
            refreshed = r.rewritten().written().size();
          }
          bad = Measures.degraded(rt, written);
          double secs = (System.nanoTime() - tc) / 1e9;
          // The constraint's promise: what was recalled before this cycle's refresh still is.
          long lostHealthy = healthy.stream().filter(bad::contains).count();
          double kept = healthy.isEmpty() ? Double.NaN : 1 - lostHealthy / (double) healthy.size();
          points.add(new CyclePoint(seed, c, 1 - bad.size() / (double) written.size(), bad.size(), refreshed,
              Measures.driftPercent(Models.meanPerplexity(rt, pplTexts), ppl0), secs, kept));
          if (bad.isEmpty() && converged == null) converged = c;
        }
        cyclesToConverge.add(converged == null ? -1 : converged);
        ctx.log("sleep-convergence seed %d: %s", seed, converged == null ? "not converged" : "converged after " + converged);
      }
    }
    Markdown t = new Markdown("cycle", "raw recall", "degraded", "refreshed", "healthy facts still recalled", "PPL drift %", "seconds");
    List<Double> xs = new ArrayList<>();
    List<Spread> ys = new ArrayList<>();
    for (int c = 0; c <= p.sleepCycles(); c++) {
      int cc = c;
      List<CyclePoint> at = points.stream().filter(x -> x.cycle() == cc).toList();
      Spread r = Spread.of(at.stream().mapToDouble(CyclePoint::recall).toArray());
      xs.add((double) c);
      ys.add(r);
      t.row(c == 0 ? "0 (after wake)" : c, r.format(3), Spread.of(at.stream().mapToDouble(CyclePoint::degraded).toArray()).format(1),
          c == 0 ? "–" : Spread.of(at.stream().mapToDouble(CyclePoint::refreshed).toArray()).format(1),
          c == 0 ? "–" : Spread.of(at.stream().mapToDouble(CyclePoint::healthyKept).filter(x -> !Double.isNaN(x)).toArray()).format(3),
          Spread.of(at.stream().mapToDouble(CyclePoint::pplDriftPct).toArray()).format(2),
          c == 0 ? "–" : Spread.of(at.stream().mapToDouble(CyclePoint::seconds).toArray()).format(1));
    }
    Charts.line(ctx.file("sleep-convergence.png"), "Sleep convergence: " + p.sleepFacts() + " facts, MEMIT refresh cycles",
        "cycle (0 = after the overloaded wake)", "raw recall",
        List.of(Charts.Line.of("ours (mean ± sd)", xs, ys),
            new Charts.Line("reference 8B, 14 facts", new double[] {0, 1, 2, 3, 4}, new double[] {0.571, 0.500, 0.786, 1.0, 1.0}, null),
            new Charts.Line("reference 8B, 30 facts", new double[] {0, 1, 2, 3, 4}, new double[] {0.400, 0.400, 0.767, 1.0, 1.0}, null)),
        false);
    String body = "Per cycle (mean ± sd over seeds):\n\n" + t + "\nCycles to convergence per seed (−1 = not within "
        + p.sleepCycles() + "): " + cyclesToConverge + ".\n";
    String method = String.format(Locale.ROOT, """
        Per seed, %d held-out facts are written one unconstrained MEMIT edit each (an overloaded wake), then %d
        maintenance cycles: audit raw recall of every fact, rewrite the degraded ones with MemitEditor.refresh
        (null-space projection, threshold %.0e), audit again. This is the reference's v7 sleep (MEMIT only), a study
        of the refresh the product's sleep runs as its null-space refresh step on degraded facts; it is not a sleep of
        the product, whose sleeps (audit, refresh, LoRA consolidation) are measured by the consolidation sweep.""", p.sleepFacts(), p.sleepCycles(), threshold);
    String cmp = """
        | config | initial recall | cycles to 1.00 | final | PPL drift |
        |---|---|---|---|---|
        | reference 8B/8L, 14 facts (§3.1) | 0.571 | 3 (converged C4) | 1.000 | +0.5 % |
        | reference 8B/8L, 30 facts | 0.400 | 3 (converged C4) | 1.000 | +3.2 % peak |
        | reference 70B/8L, 7 facts | 0.571 | 1 | 1.000 | +0.2 % |
        """ + String.format(Locale.ROOT, "| ours, %s, %d facts | %s | %s | %s | %s %% |%n", p.variant().name(), p.sleepFacts(),
        ys.get(0).format(3), cyclesToConverge, ys.get(ys.size() - 1).format(3),
        Spread.of(points.stream().filter(x -> x.cycle() == p.sleepCycles()).mapToDouble(CyclePoint::pplDriftPct).toArray()).format(2));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("points", points);
    data.put("cyclesToConverge", cyclesToConverge);
    return new ExperimentResult(name(), "Sleep convergence", method, body, cmp, List.of("sleep-convergence.png"), data,
        (System.nanoTime() - t0) / 1e9);
  }
}
