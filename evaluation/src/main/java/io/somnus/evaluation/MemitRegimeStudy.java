package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.engine.io.AtomicFiles;
import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.memory.NullSpaceProjector;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * MEMIT's constraint regimes compared, the tuning study behind the editor's settings (the suite's wake-capacity
 * experiment reports two of them): held-out facts written one edit per fact, in sequence, under three
 * constraint regimes — none (the reference's unconstrained wake), soft (earlier facts' keys as
 * zero-target rows, the reference's constrained injection) and projected (AlphaEdit null space of
 * earlier facts' keys and generic text). At checkpoints it prints, for all facts written so far,
 * greedy raw recall, the fraction with a positive log-prob margin, chat recall, specificity on known
 * facts of other people (greedy continuation unchanged), perplexity drift on held-out reference
 * text, mean time per edit split into v* and solve, and peak memory. After the unconstrained run it
 * refreshes the degraded facts under the null-space constraint and reports both groups' recall.
 *
 * <p>A command, not a test, on the evaluation's classpath:
 * {@code MemitRegimeStudy [maxFacts=100] [default|test] [covariance=FULL] [modes=none,soft,projected] [csv]}.
 */
public final class MemitRegimeStudy {
  private static final List<Integer> CHECKPOINTS = List.of(1, 2, 5, 10, 13, 14, 20, 30, 40, 50, 60, 75, 100, 150, 200);
  private static final List<Integer> CHAT_AT = List.of(10, 30, 100);

  private enum Regime { NONE, SOFT, PROJECTED }

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    int max = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    SomnusTiny.Variant variant = args.length > 1 && args[1].equals("test") ? SomnusTiny.Variant.TEST : SomnusTiny.Variant.DEFAULT;
    MemitConfig.CovarianceKind kind = args.length > 2 ? MemitConfig.CovarianceKind.valueOf(args[2]) : MemitConfig.CovarianceKind.FULL;
    List<Regime> regimes = args.length > 3
        ? Arrays.stream(args[3].split(",")).map(s -> Regime.valueOf(s.toUpperCase(Locale.ROOT))).toList()
        : List.of(Regime.NONE, Regime.SOFT, Regime.PROJECTED);
    Path csv = args.length > 4 ? Path.of(args[4]) : null;

    SyntheticWorld world = variant.world();
    List<String> lines = new ArrayList<>();
    String header = "regime,facts,raw_recall,margin_recall,chat_recall,neighbour_retention,continuation_unchanged,ppl_drift_pct,mean_vstar_s,mean_solve_s,skipped,peak_rss_mb,heap_mb";
    System.out.println("# " + variant.name() + " covariance " + kind);
    System.out.println(header);
    lines.add(header);
    Path checkpoint = SomnusTiny.ensure(variant);
    try (DjlModelRuntime rt = DjlModelRuntime.load(checkpoint, Device.cpu())) {
      MemitConfig config = MemitConfig.forCheckpoint(checkpoint, rt.config().numLayers()).withCovariance(kind).withMode(MemitConfig.EditMode.SEQUENTIAL);
      System.out.println("# null-space threshold " + config.nullSpaceThreshold());
      List<String> refs = world.referenceTexts(60);
      long t0 = System.nanoTime();
      CovarianceStats stats = CovarianceStats.loadOrCollect(rt.model(), rt.tokenizer(), config.layers(), refs.subList(0, 30),
          Runtimes.somnusHome().resolve("cache"));
      System.out.printf("# layers %s, key statistics from %d tokens in %.1f s%n", config.layers(), stats.count(), (System.nanoTime() - t0) / 1e9);
      List<String> pplTexts = refs.subList(30, 60);
      RecallProbe probe = new RecallProbe(rt, 8);
      List<WorldFact> neighbours = world.sampleKnown(60, 11);
      List<String> neighbourPrompts = neighbours.stream().map(n -> n.fact().prompt()).toList();
      List<String> before = probe.snapshot(neighbourPrompts);
      List<Fact> neighbourFacts = neighbours.stream().map(WorldFact::fact).toList();
      boolean[] knownBefore = new boolean[neighbourFacts.size()];
      for (int i = 0; i < knownBefore.length; i++) knownBefore[i] = RecallProbe.startsWithObject(before.get(i), neighbourFacts.get(i).object());
      double ppl0 = probe.perplexity(pplTexts);
      System.out.printf("# base: perplexity %.3f, neighbour known-fact recall %.3f%n", ppl0,
          probe.rawRecallRate(neighbours.stream().map(WorldFact::fact).toList()));
      // Objects the pretraining corpus never contains (the world's never-taught relations: born
      // in, drives, plays, supports, and a few cities) are spelled with tokens whose embeddings were
      // never trained; v* cannot make the model produce them from any layer (it plateaus at a flat
      // distribution), so they measure the tokenizer, not the memory. They are left out and counted.
      String corpus = String.join("\n", world.corpus(1));
      List<WorldFact> learnable = world.heldOutFacts().stream().filter(w -> corpus.contains(" " + w.fact().object())).toList();
      System.out.printf("# %d of %d held-out facts have objects that occur in the corpus%n", learnable.size(), world.heldOutFacts().size());
      List<WorldFact> pool = learnable.subList(0, Math.min(max, learnable.size()));

      for (Regime regime : regimes) {
        MemitEditor editor = new MemitEditor(rt, config, stats);
        try (EditSet set = new EditSet(rt.model())) {
          // Recall is over every fact attempted: a fact the editor skipped counts as not learned.
          List<WorldFact> attempted = new ArrayList<>();
          double vstar = 0;
          double solve = 0;
          int skipped = 0;
          for (WorldFact wf : pool) {
            attempted.add(wf);
            List<Fact> active = set.activeFacts();
            NullSpaceProjector projector = regime == Regime.PROJECTED ? editor.projectorFor(active, config.nullSpaceThreshold()) : null;
            try {
              EditResult r = editor.compute(List.of(wf.fact()), regime == Regime.SOFT ? active : List.of(), projector);
              vstar += r.vStarSeconds();
              solve += r.solveSeconds();
              for (EditResult.SkippedFact s : r.skipped()) System.out.println("# skipped " + s.fact().prompt() + " | " + s.reason());
              if (r.edit() == null) skipped++;
              else set.apply(r.edit(), 1f);
            } catch (IllegalStateException e) {
              System.out.println("# " + regime + ": " + e.getMessage());
              skipped++;
            }
            if (CHECKPOINTS.contains(attempted.size()) || attempted.size() == pool.size()) {
              String line = measure(regime.name().toLowerCase(Locale.ROOT), probe, attempted, neighbourFacts, knownBefore, before, pplTexts, ppl0,
                  vstar / attempted.size(), solve / attempted.size(), skipped);
              System.out.println(line);
              lines.add(line);
            }
          }
          List<WorldFact> written = attempted.stream().filter(w -> set.editOf(w.fact()) != null).toList();
          if (regime == Regime.NONE) refreshDegraded(editor, set, probe, written);
          for (MemitEdit e : set.edits()) set.remove(e.id());
        }
        // Removing every edit restores the base exactly; check it, since the next regime relies on it.
        if (!probe.snapshot(neighbourPrompts).equals(before)) throw new IllegalStateException("base weights not restored after " + regime);
      }
    }
    if (csv != null) {
      AtomicFiles.write(csv, String.join("\n", lines) + "\n");
    }
  }

  private static String measure(String regime, RecallProbe probe, List<WorldFact> written, List<Fact> neighbours,
      boolean[] knownBefore, List<String> before, List<String> pplTexts, double ppl0, double vstar, double solve, int skipped) {
    List<Fact> facts = written.stream().map(WorldFact::fact).toList();
    double raw = probe.rawRecallRate(facts);
    double[] margins = probe.margins(facts);
    long positive = Arrays.stream(margins).filter(m -> m > 0).count();
    // Chat answers are the slowest probe: only at a few checkpoints (NaN elsewhere).
    double chat = CHAT_AT.contains(written.size())
        ? written.stream().filter(w -> probe.chatRecall(w.fact(), w.question())).count() / (double) facts.size() : Double.NaN;
    double retention = probe.neighbourRetention(neighbours, knownBefore);
    double spec = probe.specificity(neighbours.stream().map(Fact::prompt).toList(), before);
    double drift = 100 * (probe.perplexity(pplTexts) / ppl0 - 1);
    Runtime jvm = Runtime.getRuntime();
    double heap = (jvm.totalMemory() - jvm.freeMemory()) / 1048576.0;
    return String.format("%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.2f,%.3f,%.3f,%d,%.0f,%.0f", regime, written.size(), raw,
        positive / (double) facts.size(), chat, retention, spec, drift, vstar, solve, skipped, peakRssMb(), heap);
  }

  /**
   * Overloaded unconstrained memory: rewrite the facts that no longer recall under the null-space
   * constraint of the healthy ones, and report both groups' recall before and after.
   */
  private static void refreshDegraded(MemitEditor editor, EditSet set, RecallProbe probe, List<WorldFact> written) {
    List<Fact> healthy = new ArrayList<>();
    List<Fact> degraded = new ArrayList<>();
    for (WorldFact w : written) (probe.rawRecall(w.fact()) ? healthy : degraded).add(w.fact());
    if (degraded.isEmpty()) {
      System.out.println("# refresh: nothing degraded");
      return;
    }
    long t0 = System.nanoTime();
    MemitEditor.RefreshResult r = editor.refresh(set, degraded);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("# refresh of %d degraded facts (%d edits removed, %d skipped, %d free key dimensions at the critical layer) in %.1f s:"
            + " degraded recall 0.000 -> %.3f, healthy recall 1.000 -> %.3f%n",
        degraded.size(), r.removedEditIds().size(), r.rewritten().skipped().size(), r.freeDimensionsAtCriticalLayer(), secs,
        probe.rawRecallRate(degraded), probe.rawRecallRate(healthy));
  }

  /** Peak resident set of this process (Linux VmHWM), or -1 where /proc is not available. */
  static double peakRssMb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
