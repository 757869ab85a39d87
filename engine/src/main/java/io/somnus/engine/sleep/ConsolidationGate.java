package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-fact gating on a candidate: for each edit that still holds unconsolidated facts, the edit
 * alone is scaled to 0 (the others stay applied) and each of its facts is asked in chat; the answer
 * shows whether the fused weights now carry the fact without MEMIT's help. Afterwards the candidate's
 * edit scales are set from the new stages.
 */
public final class ConsolidationGate {
  private final FactRecall recall;

  public ConsolidationGate(FactRecall recall) {
    this.recall = recall;
  }

  public record Result(FactStageTable.Transition transition, Map<String, Boolean> passed, Map<String, Float> scales,
      double seconds) {
    public FactStageTable table() {
      return transition.table();
    }
  }

  public Result run(ComposedModel candidate, FactStageTable table) {
    long t0 = System.nanoTime();
    Map<String, Boolean> passed = new LinkedHashMap<>();
    for (MemitEdit e : candidate.edits()) {
      float original = candidate.scale(e.id());
      if (original == 0f || table.dissolved(e)) continue;
      candidate.setScale(e.id(), 0f);
      try {
        for (Fact f : e.facts()) {
          FactStageTable.Entry entry = table.entries().stream().filter(x -> x.fact().equals(f)).findFirst().orElse(null);
          // A fact that a later edit re-wrote is gated with that edit, not this one.
          if (entry == null || !entry.editId().equals(e.id())) continue;
          passed.put(f.id(), recall.chat(candidate.runtime(), f));
        }
      } finally {
        candidate.setScale(e.id(), original);
      }
    }
    FactStageTable.Transition t = table.afterGate(passed);
    Map<String, Float> scales = t.table().scales(candidate.edits());
    candidate.setScales(scales);
    return new Result(t, passed, scales, (System.nanoTime() - t0) / 1e9);
  }
}
