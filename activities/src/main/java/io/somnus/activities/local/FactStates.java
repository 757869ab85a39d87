package io.somnus.activities.local;

import io.somnus.activities.FactState;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.store.FactRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A version's fact table as the steps report it ({@link FactState}) and as the ledger stores it ({@link FactRow}). */
final class FactStates {
  private FactStates() {}

  /** @param raw fact id → raw hit, or null when not measured; likewise {@code chat} */
  static List<FactState> of(FactStageTable table, Map<String, Boolean> raw, Map<String, Boolean> chat) {
    List<FactState> out = new ArrayList<>();
    for (FactStageTable.Entry e : table.entries()) {
      String id = e.fact().id();
      out.add(new FactState(id, e.fact().subject(), e.fact().relation(), e.fact().object(), e.editId(),
          e.stage().level(), e.stage().memitScale(), rate(raw, id), rate(chat, id)));
    }
    return out;
  }

  private static Double rate(Map<String, Boolean> hits, String id) {
    if (hits == null) return null;
    Boolean b = hits.get(id);
    return b == null ? null : (b ? 1.0 : 0.0);
  }

  static List<FactRow> rows(List<FactState> facts, String runId, String modelVersion, Instant now) {
    List<FactRow> rows = new ArrayList<>();
    for (FactState f : facts) {
      rows.add(new FactRow(f.factId(), f.subject(), f.relation(), f.object(), null, f.editId(), f.stage(),
          f.memitScale(), f.rawRecall(), f.chatRecall(), runId, modelVersion, now));
    }
    return rows;
  }
}
