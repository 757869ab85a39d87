package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-fact consolidation state, immutable: every change returns a new table, so a sleep can build
 * its result without touching the table the live model is described by, and a rejected sleep simply
 * keeps the old one.
 */
public final class FactStageTable {

  /**
   * @param fact the fact
   * @param editId the MEMIT edit that wrote it (null when it never had one)
   * @param stage how far it is consolidated
   * @param lastRecall chat recall at the last gate (null before the first)
   */
  public record Row(Fact fact, String editId, FactStage stage, Boolean lastRecall) {
    public Row {
      if (fact == null || stage == null) throw new IllegalArgumentException("a row needs a fact and a stage");
    }
  }

  private final Map<Fact, Row> rows;

  private FactStageTable(Map<Fact, Row> rows) {
    this.rows = rows;
  }

  public static FactStageTable empty() {
    return new FactStageTable(new LinkedHashMap<>());
  }

  /** Adds facts just written by one MEMIT edit, at stage 0. */
  public FactStageTable withEdit(String editId, List<Fact> facts) {
    Map<Fact, Row> next = new LinkedHashMap<>(rows);
    for (Fact f : facts) {
      if (next.containsKey(f)) throw new IllegalArgumentException("fact " + f.id() + " (" + f.sentence() + ") is already tracked");
      next.put(f, new Row(f, editId, FactStage.WAKE, null));
    }
    return new FactStageTable(next);
  }

  public FactStageTable with(Row row) {
    if (!rows.containsKey(row.fact())) throw new IllegalArgumentException("fact " + row.fact().id() + " is not tracked");
    Map<Fact, Row> next = new LinkedHashMap<>(rows);
    next.put(row.fact(), row);
    return new FactStageTable(next);
  }

  public List<Row> rows() {
    return List.copyOf(rows.values());
  }

  public Row row(Fact f) {
    Row r = rows.get(f);
    if (r == null) throw new IllegalArgumentException("fact " + f.id() + " is not tracked");
    return r;
  }

  public List<Fact> facts() {
    return List.copyOf(rows.keySet());
  }

  /** Rows of each edit, in first-seen order. */
  public Map<String, List<Row>> byEdit() {
    Map<String, List<Row>> out = new LinkedHashMap<>();
    for (Row r : rows.values()) if (r.editId() != null) out.computeIfAbsent(r.editId(), k -> new ArrayList<>()).add(r);
    return out;
  }

  /**
   * The scale of every edit: the schedule value of its least consolidated fact, so that one
   * stubborn fact keeps its edit's support. 0 means the edit is dissolved.
   */
  public Map<String, Float> editScales() {
    Map<String, Float> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Row>> e : byEdit().entrySet()) {
      FactStage min = FactStage.CONSOLIDATED;
      for (Row r : e.getValue()) if (r.stage().level() < min.level()) min = r.stage();
      out.put(e.getKey(), min.memitScale());
    }
    return out;
  }

  /** Edits whose facts are all consolidated: their deltas can be dropped and their capacity freed. */
  public List<String> dissolvedEdits() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Float> e : editScales().entrySet()) if (e.getValue() == 0f) out.add(e.getKey());
    return out;
  }

  public int count(FactStage stage) {
    return (int) rows.values().stream().filter(r -> r.stage() == stage).count();
  }

  public int size() {
    return rows.size();
  }
}
