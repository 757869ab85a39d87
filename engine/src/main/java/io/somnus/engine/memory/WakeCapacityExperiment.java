package io.somnus.engine.memory;

import ai.djl.Device;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Wake capacity on somnus-tiny: held-out facts written one edit at a time, with and without
 * constraints (preserve every earlier fact), recall of all facts written so far at checkpoints,
 * specificity on known facts of other people, perplexity drift, and time per edit split into v*
 * and solve. A command, not a test: {@code WakeCapacityExperiment [maxFacts] [test]}.
 */
public final class WakeCapacityExperiment {
  public static void main(String[] args) {
    Locale.setDefault(Locale.ROOT);
    int max = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    SomnusTiny.Variant v = args.length > 1 && args[1].equals("test") ? SomnusTiny.Variant.TEST : SomnusTiny.Variant.DEFAULT;
    SyntheticWorld world = v.world();
    List<Integer> checkpoints = List.of(1, 5, 10, 20, 30, 40, 50, 75, 100);
    System.out.println("mode,facts,raw_recall,specificity,ppl_drift_pct,mean_vstar_s,mean_solve_s");
    for (boolean constrained : new boolean[] {false, true}) {
      try (DjlModelRuntime rt = DjlModelRuntime.load(SomnusTiny.ensure(v), Device.cpu()); EditSet set = new EditSet(rt.model())) {
        MemitConfig config = MemitConfig.defaults(rt.config().numLayers());
        List<String> refs = world.referenceTexts(30);
        KeyStatistics stats = KeyStatistics.collect(rt, config.layers(), refs);
        MemitEditor editor = new MemitEditor(rt, config, stats);
        List<WorldFact> neighbours = world.sampleKnown(40, 11);
        List<String> before = new ArrayList<>();
        for (WorldFact n : neighbours) before.add(rt.complete(n.fact().prompt(), GenerationOptions.greedy(6)));
        double ppl0 = meanPerplexity(rt, refs.subList(0, 10));
        List<Fact> written = new ArrayList<>();
        double vs = 0;
        double so = 0;
        for (WorldFact wf : world.heldOutFacts()) {
          if (written.size() >= max) break;
          MemitEditor.Result r = editor.compute(List.of(wf.fact()), constrained ? written : List.of(), null);
          vs += r.vStarSeconds();
          so += r.solveSeconds();
          if (r.edit() == null) continue;
          set.apply(r.edit(), 1f);
          written.add(wf.fact());
          if (checkpoints.contains(written.size())) {
            int hits = 0;
            for (Fact f : written) if (rt.complete(f.prompt(), GenerationOptions.greedy(8)).strip().startsWith(f.object())) hits++;
            int same = 0;
            for (int i = 0; i < neighbours.size(); i++) {
              if (rt.complete(neighbours.get(i).fact().prompt(), GenerationOptions.greedy(6)).equals(before.get(i))) same++;
            }
            double drift = 100 * (meanPerplexity(rt, refs.subList(0, 10)) / ppl0 - 1);
            System.out.printf("%s,%d,%.3f,%.3f,%.2f,%.2f,%.3f%n", constrained ? "constrained" : "unconstrained", written.size(),
                (double) hits / written.size(), (double) same / neighbours.size(), drift, vs / written.size(), so / written.size());
          }
        }
      }
    }
  }

  private static double meanPerplexity(DjlModelRuntime rt, List<String> texts) {
    double s = 0;
    for (String t : texts) s += Math.log(rt.perplexity(t));
    return Math.exp(s / texts.size());
  }
}
