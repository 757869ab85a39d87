package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.sleep.LoraTrainer;
import io.somnus.engine.sleep.QaDataset;
import io.somnus.engine.sleep.QaExample;
import io.somnus.engine.tiny.WorldFact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Latency and cost on this machine: forward and decode, one MEMIT edit, one sleep (per fact and per
 * training step), peak memory, and how edit and retrieval cost grow with the number of facts. Each
 * timing is repeated after a warm-up and reported as median, min and max — a harness, not JMH,
 * because one measurement takes seconds and JIT effects are noise next to libtorch's.
 */
public final class BenchExperiment implements Experiment {
  /** One benchmark line: what, unit, and the repetitions. */
  record Timing(String what, String unit, double[] values) {
    double median() {
      return RetrievalExperiment.median(values);
    }

    double min() {
      return Arrays.stream(values).min().orElse(Double.NaN);
    }

    double max() {
      return Arrays.stream(values).max().orElse(Double.NaN);
    }
  }

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public ExperimentResult run(RunContext ctx) {
    long t0 = System.nanoTime();
    Profile p = ctx.profile();
    Models models = ctx.models();
    int reps = p.benchReps();
    List<Timing> timings = new ArrayList<>();
    List<String> refs = models.statTexts(p);
    List<WorldFact> held = Probes.sample(models.world(), Math.min(models.world().heldOutFacts().size(),
        reps + 1 + p.benchGrowth().get(p.benchGrowth().size() - 1) + 1), 99);
    timings.add(time(ctx, "load checkpoint", "ms", reps, () -> models.load().close()));
    Map<String, Object> growthData = new LinkedHashMap<>();
    try (DjlModelRuntime rt = models.load()) {
      String text = refs.get(0);
      int tokens = rt.tokenizer().encode(text).length;
      timings.add(time(ctx, "perplexity pass over " + tokens + " tokens (forward)", "ms", reps, () -> rt.perplexity(text)));
      long[] prompt = rt.tokenizer().encodeChat(List.of(ChatMessage.user(held.get(0).question())), true);
      GenerationOptions fixed = new GenerationOptions(32, 0, 1, 1, 0);
      double[] perToken = new double[reps];
      rt.generate(prompt, fixed);
      for (int i = 0; i < reps; i++) {
        long s = System.nanoTime();
        long[] out = rt.generate(prompt, fixed);
        perToken[i] = (System.nanoTime() - s) / 1e6 / Math.max(1, out.length);
      }
      timings.add(log(ctx, new Timing("greedy decode (prefill + up to 32 tokens), per generated token", "ms", perToken)));
      timings.add(time(ctx, "one chat answer (24 tokens max)", "ms", reps,
          () -> rt.chat(List.of(ChatMessage.user(held.get(1).question())), GenerationOptions.greedy(24))));
      // A sleep's training checks recall every fact (chat question and raw statement) every 20 steps, in up to three
      // weight states: at 160 facts this is the sleep's largest cost after the steps themselves.
      List<WorldFact> pool = Probes.sample(models.world(), Math.min(160, models.world().heldOutFacts().size()), 7);
      List<QaExample> checks = QaDataset.recallChecks(rt.tokenizer(), pool.stream().map(WorldFact::fact).toList(),
          LiveProbes.heldOutQuestions(models.world()), true);
      String checking = "training recall check, " + pool.size() + " facts (" + checks.size() + " greedy answers), ";
      timings.add(time(ctx, checking + "one prompt at a time", "s", reps, () -> {
        for (QaExample e : checks) LoraTrainer.answers(rt.model(), Map.of(), rt.tokenizer(), List.of(e));
      }));
      timings.add(time(ctx, checking + "batched by prompt length", "s", reps,
          () -> LoraTrainer.answers(rt.model(), Map.of(), rt.tokenizer(), checks)));
      try (MemitSession wake = new MemitSession(rt, refs, models.memit(rt))) {
        double[] edit = new double[reps];
        double[] vStar = new double[reps];
        double[] solve = new double[reps];
        wake.compute(List.of(held.get(0).fact()));
        for (int i = 0; i < reps; i++) {
          Fact f = held.get(1 + i).fact();
          double vStarBefore = wake.vStarSeconds();
          double solveBefore = wake.solveSeconds();
          long s = System.nanoTime();
          wake.compute(List.of(f));
          edit[i] = (System.nanoTime() - s) / 1e9;
          vStar[i] = wake.vStarSeconds() - vStarBefore;
          solve[i] = wake.solveSeconds() - solveBefore;
        }
        timings.add(log(ctx, new Timing("MEMIT edit of one fact (v* + keys + solve, not applied)", "s", edit)));
        timings.add(log(ctx, new Timing("  of which v* optimisation", "s", vStar)));
        timings.add(log(ctx, new Timing("  of which keys, spread and solves (with residual boosts)", "s", solve)));
        // Cost growth: a batch of N facts, and one more fact written with N active facts preserved.
        List<Integer> sizes = new ArrayList<>();
        List<Double> batchPerFact = new ArrayList<>();
        List<Double> constrainedOne = new ArrayList<>();
        List<Double> deltaFloats = new ArrayList<>();
        int offset = 1 + reps;
        for (int n : p.benchGrowth()) {
          if (offset + n + 1 > held.size()) break;
          List<Fact> batch = held.subList(offset, offset + n).stream().map(WorldFact::fact).toList();
          long s = System.nanoTime();
          MemitEdit e = wake.compute(batch);
          double secs = (System.nanoTime() - s) / 1e9;
          if (e == null) continue;
          wake.edits().apply(e, 1f);
          long s2 = System.nanoTime();
          wake.write(List.of(held.get(offset + n).fact()), true);
          double one = (System.nanoTime() - s2) / 1e9;
          for (MemitEdit x : new ArrayList<>(wake.edits().edits())) wake.edits().remove(x.id());
          sizes.add(n);
          batchPerFact.add(secs / n);
          constrainedOne.add(one);
          deltaFloats.add((double) e.deltas().stream().mapToLong(d -> (long) d.rank() * (d.rows() + d.cols())).sum());
          ctx.log("bench growth N=%d: batch %.2f s/fact, +1 constrained %.2f s", n, secs / n, one);
        }
        growthData.put("facts", sizes);
        growthData.put("batchSecondsPerFact", batchPerFact);
        growthData.put("constrainedOneMoreSeconds", constrainedOne);
        growthData.put("editFloats", deltaFloats);
      }
    }
    // BM25 cost growth to 1000 sentences (known facts stand in: only their number matters here).
    List<Integer> bmSizes = List.of(10, 100, 1000);
    List<Double> bmMs = new ArrayList<>();
    List<Fact> knownFacts = models.world().knownFacts().stream().map(WorldFact::fact).toList();
    for (int n : bmSizes) {
      List<String> sentences = knownFacts.subList(0, Math.min(n, knownFacts.size())).stream().map(Fact::sentence).toList();
      try (Bm25FactIndex idx = new Bm25FactIndex(sentences)) {
        Timing tm = time(ctx, "BM25 top-3 search over " + sentences.size() + " sentences", "ms", Math.max(reps, 20),
            () -> idx.search(held.get(0).question(), 3));
        timings.add(tm);
        bmMs.add(tm.median());
      }
    }
    growthData.put("bm25Sentences", bmSizes);
    growthData.put("bm25SearchMs", bmMs);
    // One sleep of the product on the smallest growth size: seconds per step, per fact and per training step.
    Map<String, Object> sleepData = new LinkedHashMap<>();
    int n = p.benchGrowth().get(0);
    List<Fact> facts = held.subList(0, n).stream().map(WorldFact::fact).toList();
    Path data = ctx.file("work").resolve("bench-sleep");
    try (ProductModel m = ProductModel.start("bench", models, p.validation(), data)) {
      List<Fact> written = m.teach(facts).written();
      if (!written.isEmpty()) {
        SleepRun r = m.sleep();
        sleepData.put("facts", written.size());
        sleepData.put("status", r.outcome().wireName());
        sleepData.put("reason", r.reason());
        sleepData.put("stepSeconds", r.stepSeconds());
        sleepData.put("seconds", r.seconds());
        sleepData.put("trainingSteps", r.trainingSteps());
        sleepData.put("secondsPerFact", r.seconds() / written.size());
        sleepData.put("attempts", r.attempts());
        // The step times add up every attempt, the step count is the last one's: per step only for a single attempt.
        sleepData.put("secondsPerTrainingStep", r.attempts() != 1 ? Double.NaN
            : r.stepSeconds().getOrDefault("TrainLora", Double.NaN) / Math.max(1, r.trainingSteps()));
        ctx.log("bench sleep of %d facts: %s in %.0f s %s %s", written.size(), r.outcome(), r.seconds(), r.stepSeconds(), r.reason());
      }
    }
    Sweeps.deleteTree(data);
    double peakMiB = peakRssMiB();
    return result(ctx, timings, growthData, sleepData, peakMiB, (System.nanoTime() - t0) / 1e9);
  }

  @SuppressWarnings("unchecked")
  private ExperimentResult result(RunContext ctx, List<Timing> timings, Map<String, Object> growth, Map<String, Object> sleep,
      double peakMiB, double seconds) {
    Markdown t = new Markdown("what", "median", "min", "max", "unit", "reps");
    for (Timing x : timings) t.row(x.what(), fmt(x.median()), fmt(x.min()), fmt(x.max()), x.unit(), x.values().length);
    Markdown g = new Markdown("facts N", "batch edit, s per fact", "+1 fact with N preserved, s", "edit size (floats, factored)");
    List<Integer> sizes = (List<Integer>) growth.get("facts");
    List<String> plots = new ArrayList<>();
    if (sizes != null && !sizes.isEmpty()) {
      List<Double> bpf = (List<Double>) growth.get("batchSecondsPerFact");
      List<Double> one = (List<Double>) growth.get("constrainedOneMoreSeconds");
      List<Double> fl = (List<Double>) growth.get("editFloats");
      for (int i = 0; i < sizes.size(); i++) g.row(sizes.get(i), fmt(bpf.get(i)), fmt(one.get(i)), String.format(Locale.ROOT, "%,.0f", fl.get(i)));
      double[] xs = sizes.stream().mapToDouble(Integer::doubleValue).toArray();
      Charts.line(ctx.file("bench-growth.png"), "Edit cost as facts grow", "facts", "seconds",
          List.of(new Charts.Line("batch edit, s per fact", xs, bpf.stream().mapToDouble(Double::doubleValue).toArray(), null),
              new Charts.Line("one more fact, N preserved", xs, one.stream().mapToDouble(Double::doubleValue).toArray(), null)), true);
      plots.add("bench-growth.png");
    }
    StringBuilder body = new StringBuilder("Latencies (after one warm-up):\n\n").append(t).append("\nCost growth:\n\n").append(g);
    if (!sleep.isEmpty()) {
      body.append(String.format(Locale.ROOT, "%nOne sleep of the product on %s facts: %s after %s attempt(s) in %.1f s; %s training"
              + " steps (the last attempt's), %.2f s per training step, %.1f s per fact; seconds per step of the workflow"
              + " (scheduled to done), all attempts: %s.%n",
          sleep.get("facts"), sleep.get("status"), sleep.get("attempts"), (Double) sleep.get("seconds"), sleep.get("trainingSteps"),
          (Double) sleep.get("secondsPerTrainingStep"), (Double) sleep.get("secondsPerFact"), rounded((Map<String, Double>) sleep.get("stepSeconds"))));
      Object why = sleep.get("reason");
      if (why != null && !why.toString().isBlank()) body.append("Why it was not promoted: ").append(why).append("\n");
    }
    body.append(String.format(Locale.ROOT, "%nPeak resident memory of the evaluation process so far: %.0f MiB.%n", peakMiB));
    String method = """
        Wall-clock timings on this machine (2 CPU cores shared with whatever else runs; libtorch CPU, fp32),
        median/min/max over the profile's repetitions after one warm-up. Edit cost growth: one batch edit of N
        facts (time per fact), and writing one more fact with the N facts active and preserved (the constrained
        solve grows with N). BM25 search over up to 1000 sentences. One sleep of the product (the sleep workflow on an
        embedded stack, facts written by the product's wake) timed step by step from its workflow history.""";
    String cmp = """
        Reference timings (8B on H100, single runs): consolidation cycles of 54.9–158.8 s for 5–20 facts, about
        13–8 s per fact per cycle (§5.2); a 30+5-fact v7 convergence run 4819.5 s (§3.2); 3B MLX batched
        capacity test 99 s for 15 facts (§7); MEMIT-only time to first recall 4.4 s (§6.1).
        """;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("timings", timings);
    data.put("growth", growth);
    data.put("sleep", sleep);
    data.put("peakRssMiB", peakMiB);
    return new ExperimentResult(name(), "Benchmarks", method, body.toString(), cmp, plots, data, seconds);
  }

  private static Map<String, String> rounded(Map<String, Double> seconds) {
    Map<String, String> out = new LinkedHashMap<>();
    seconds.forEach((k, v) -> out.put(k, String.format(Locale.ROOT, "%.2f", v)));
    return out;
  }

  private static Timing time(RunContext ctx, String what, String unit, int reps, Runnable r) {
    r.run();
    double[] v = new double[reps];
    double scale = unit.equals("s") ? 1e9 : 1e6;
    for (int i = 0; i < reps; i++) {
      long s = System.nanoTime();
      r.run();
      v[i] = (System.nanoTime() - s) / scale;
    }
    return log(ctx, new Timing(what, unit, v));
  }

  private static Timing log(RunContext ctx, Timing t) {
    ctx.log("bench %-60s median %s  min %s  max %s %s", t.what(), fmt(t.median()), fmt(t.min()), fmt(t.max()), t.unit());
    return t;
  }

  private static String fmt(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
  }

  /** VmHWM of this process (Linux); NaN elsewhere. */
  static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
