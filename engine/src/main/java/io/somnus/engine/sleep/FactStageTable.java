package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-fact consolidation state: which edit wrote the fact and how far it has moved into the fused
 * weights. Immutable; every transition returns a new table, so a rejected sleep simply keeps the
 * old one. The table is the single source of the edits' MEMIT scales: an edit's scale is the
 * schedule value of the lowest stage among its facts.
 */
public final class FactStageTable {

  public record Entry(Fact fact, String editId, FactStage stage) {}

  /** One fact's move at a gate. */
  public record StageChange(Fact fact, FactStage from, FactStage to) {
    public boolean advanced() {
      return to.level() > from.level();
    }
  }

  /** The table after a gate and what moved. */
  public record Transition(FactStageTable table, List<StageChange> changes) {
    public long advanced() {
      return changes.stream().filter(StageChange::advanced).count();
    }

    public long retreated() {
      return changes.stream().filter(c -> c.to().level() < c.from().level()).count();
    }
  }

  private final Map<String, Entry> entries;

  private FactStageTable(Map<String, Entry> entries) {
    this.entries = Collections.unmodifiableMap(entries);
  }

  public static FactStageTable empty() {
    return new FactStageTable(new LinkedHashMap<>());
  }

  /** A table holding the facts of {@code edits}, all at stage 0. */
  public static FactStageTable of(Collection<MemitEdit> edits) {
    FactStageTable t = empty();
    for (MemitEdit e : edits) t = t.withEdit(e);
    return t;
  }

  /** A table from stored entries (e.g. a ledger snapshot). */
  public static FactStageTable of(List<Entry> stored) {
    Map<String, Entry> m = new LinkedHashMap<>();
    for (Entry e : stored) {
      if (m.put(e.fact().id(), e) != null) throw new IllegalArgumentException("fact '" + e.fact().sentence() + "' listed twice");
    }
    return new FactStageTable(m);
  }

  /**
   * Records a new edit: its facts start at stage 0. A fact that an earlier edit wrote now belongs to
   * this one (a re-injection) and restarts at stage 0, because the new edit carries it at full scale.
   */
  public FactStageTable withEdit(MemitEdit edit) {
    Map<String, Entry> m = new LinkedHashMap<>(entries);
    for (Fact f : edit.facts()) m.put(f.id(), new Entry(f, edit.id(), FactStage.WAKE));
    return new FactStageTable(m);
  }

  /**
   * Records an edit that replaced {@code replaced} (a wake repair merges the edits holding displaced facts with a
   * top-up, see {@code MemitEditor#repair}): a fact the table attributed to one of them keeps its stage and now
   * belongs to {@code edit}; any other fact of {@code edit} is new and starts at stage 0.
   */
  public FactStageTable withEditReplacing(MemitEdit edit, Collection<String> replaced) {
    Map<String, Entry> m = new LinkedHashMap<>(entries);
    for (Fact f : edit.facts()) {
      Entry old = m.get(f.id());
      FactStage stage = old != null && replaced.contains(old.editId()) ? old.stage() : FactStage.WAKE;
      m.put(f.id(), new Entry(f, edit.id(), stage));
    }
    return new FactStageTable(m);
  }

  /** The table without {@code facts} (forgotten, retracted or superseded); facts it does not hold are ignored. */
  public FactStageTable without(Collection<Fact> facts) {
    Map<String, Entry> m = new LinkedHashMap<>(entries);
    for (Fact f : facts) m.remove(f.id());
    return new FactStageTable(m);
  }

  /** The entry of {@code fact}, if the table holds it. */
  public java.util.Optional<Entry> entry(Fact fact) {
    return java.util.Optional.ofNullable(entries.get(fact.id()));
  }

  public List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  public List<Fact> facts() {
    List<Fact> out = new ArrayList<>();
    for (Entry e : entries.values()) out.add(e.fact());
    return out;
  }

  /** The facts, lowest stage first (in table order within a stage): the newest knowledge leads. */
  public List<Fact> leastConsolidatedFirst() {
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(java.util.Comparator.comparingInt(e -> e.stage().level()));
    return sorted.stream().map(Entry::fact).toList();
  }

  public int size() {
    return entries.size();
  }

  public FactStage stage(Fact fact) {
    Entry e = entries.get(fact.id());
    if (e == null) throw new IllegalArgumentException("fact '" + fact.sentence() + "' is not in the table");
    return e.stage();
  }

  /** The edit's facts, in its order, that the table still attributes to it: a later edit that re-wrote one owns it. */
  public List<Fact> factsOf(MemitEdit edit) {
    List<Fact> out = new ArrayList<>();
    for (Fact f : edit.facts()) {
      Entry e = entries.get(f.id());
      if (e != null && e.editId().equals(edit.id())) out.add(f);
    }
    return out;
  }

  /** The lowest stage among the edit's facts that the table still attributes to it. */
  public FactStage minStage(MemitEdit edit) {
    FactStage min = null;
    for (Fact f : factsOf(edit)) {
      FactStage s = entries.get(f.id()).stage();
      if (min == null || s.level() < min.level()) min = s;
    }
    // Every fact was re-written by later edits: this edit carries nothing the table needs.
    return min == null ? FactStage.CONSOLIDATED : min;
  }

  /** MEMIT scale of an edit: the schedule value (1.0/0.5/0.1/0.0) of its least consolidated fact. */
  public float scale(MemitEdit edit) {
    return minStage(edit).memitScale();
  }

  public Map<String, Float> scales(Collection<MemitEdit> edits) {
    Map<String, Float> out = new LinkedHashMap<>();
    for (MemitEdit e : edits) out.put(e.id(), scale(e));
    return out;
  }

  /** Stage-3 edits: scale 0, their MEMIT capacity is free and they need not be applied any more. */
  public boolean dissolved(MemitEdit edit) {
    return minStage(edit) == FactStage.CONSOLIDATED;
  }

  /**
   * Applies gate results (fact id → recalled without its edit): a pass advances the fact one stage
   * (at most to 3), a fail steps it back one stage; facts not probed keep their stage.
   */
  public Transition afterGate(Map<String, Boolean> passed) {
    Map<String, Entry> m = new LinkedHashMap<>(entries);
    List<StageChange> changes = new ArrayList<>();
    for (Map.Entry<String, Boolean> p : passed.entrySet()) {
      Entry e = entries.get(p.getKey());
      if (e == null) throw new IllegalArgumentException("gate result for unknown fact " + p.getKey());
      FactStage to = p.getValue() ? e.stage().advance() : e.stage().backOff();
      if (to != e.stage()) {
        m.put(p.getKey(), new Entry(e.fact(), e.editId(), to));
        changes.add(new StageChange(e.fact(), e.stage(), to));
      }
    }
    return new Transition(new FactStageTable(m), changes);
  }

  /** Facts per stage, index = level. */
  public int[] countByStage() {
    int[] n = new int[4];
    for (Entry e : entries.values()) n[e.stage().level()]++;
    return n;
  }
}
