package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-fact gating (spec §7.7, with the port's fixes): for each edit, the candidate is asked each of
 * the edit's not yet consolidated facts with that edit scaled to 0 and every other edit at its
 * scale; a recalled fact advances one stage, a missed one steps back one stage (not to zero). Facts
 * already at stage 3 are not re-gated: losing one of them is the validator's business, which
 * rejects the whole candidate.
 */
public final class ConsolidationGate {

  /** Chat recall on the candidate with one edit switched off (null: no edit to switch off). */
  public interface Probe {
    Map<Fact, Boolean> recallWithout(String editId, List<Fact> facts);
  }

  /** One fact's move at this gate. */
  public record Change(Fact fact, FactStage from, FactStage to, boolean recalled) {}

  public record Result(FactStageTable table, List<Change> changes) {
    public long advanced() {
      return changes.stream().filter(c -> c.to().level() > c.from().level()).count();
    }

    public long backedOff() {
      return changes.stream().filter(c -> c.to().level() < c.from().level()).count();
    }
  }

  private ConsolidationGate() {}

  public static Result apply(FactStageTable table, Probe probe) {
    Map<String, List<Fact>> groups = new LinkedHashMap<>();
    for (FactStageTable.Row r : table.rows()) {
      if (r.stage() == FactStage.CONSOLIDATED) continue;
      groups.computeIfAbsent(r.editId() == null ? "" : r.editId(), k -> new ArrayList<>()).add(r.fact());
    }
    FactStageTable next = table;
    List<Change> changes = new ArrayList<>();
    for (Map.Entry<String, List<Fact>> g : groups.entrySet()) {
      String editId = g.getKey().isEmpty() ? null : g.getKey();
      Map<Fact, Boolean> recalled = probe.recallWithout(editId, g.getValue());
      for (Fact f : g.getValue()) {
        Boolean hit = recalled.get(f);
        if (hit == null) throw new IllegalStateException("the probe gave no answer for fact " + f.id() + " of edit " + editId);
        FactStageTable.Row row = table.row(f);
        FactStage to = hit ? row.stage().advance() : row.stage().backOff();
        changes.add(new Change(f, row.stage(), to, hit));
        next = next.with(new FactStageTable.Row(f, row.editId(), to, hit));
      }
    }
    return new Result(next, List.copyOf(changes));
  }
}
