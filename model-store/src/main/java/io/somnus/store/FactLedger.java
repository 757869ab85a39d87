package io.somnus.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Per-fact state over time: each run writes one Parquet snapshot of every fact it knows (stage,
 * MEMIT scale, recall, edit, model version), stored as a content-addressed blob and indexed by a
 * write-once document {@code ledger/runs/<runId>.json}. "What did run N do to fact X" is then a
 * query over snapshots rather than log archaeology.
 */
public final class FactLedger {
  static final String RUNS = "ledger/runs/";
  private static final int CACHE_ENTRIES = 32;

  private final ObjectStore store;
  private final Clock clock;
  /** Snapshots are immutable (content-addressed), so caching decoded tables by key is always safe. */
  private final Map<String, List<FactRow>> cache = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<FactRow>> e) {
          return size() > CACHE_ENTRIES;
        }
      });

  public FactLedger(ObjectStore store) {
    this(store, Clock.systemUTC());
  }

  public FactLedger(ObjectStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Stores {@code rows} as run {@code runId}'s snapshot. Idempotent for identical rows (a retried
   * activity); a different table for a run that already has one is refused.
   */
  public LedgerSnapshot write(String runId, String modelVersion, List<FactRow> rows) {
    if (runId == null || !runId.matches("[A-Za-z0-9._:-]{1,128}")) throw new IllegalArgumentException("invalid run id: " + runId);
    for (FactRow r : rows) {
      if (!r.runId().equals(runId)) throw new IllegalArgumentException("row for fact " + r.factId() + " belongs to run " + r.runId() + ", not " + runId);
    }
    String key;
    Path tmp = null;
    try {
      tmp = Files.createTempFile("ledger-" + runId, ".parquet");
      Map<String, String> meta = new TreeMap<>();
      meta.put("somnus.run_id", runId);
      if (modelVersion != null) meta.put("somnus.model_version", modelVersion);
      ParquetFactTable.write(tmp, rows, meta);
      key = store.put(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ledger snapshot of run " + runId, e);
    } finally {
      if (tmp != null) tmp.toFile().delete();
    }
    LedgerSnapshot snap = new LedgerSnapshot(runId, modelVersion, key, rows.size(), clock.instant());
    try {
      store.writeDocument(RUNS + runId + ".json", Json.write(snap), WriteCondition.absent());
      cache.put(key, List.copyOf(rows));
      return snap;
    } catch (PreconditionFailedException exists) {
      LedgerSnapshot prior = snapshot(runId).orElseThrow();
      if (prior.key().equals(key)) return prior;
      throw new IllegalStateException("run " + runId + " already has a different ledger snapshot (" + prior.key() + ")");
    }
  }

  /** Every snapshot, oldest first. */
  public List<LedgerSnapshot> snapshots() {
    List<LedgerSnapshot> out = new ArrayList<>();
    for (StoredObject o : store.list(RUNS)) {
      store.readDocument(o.key()).ifPresent(d -> out.add(Json.read(d.content(), LedgerSnapshot.class, d.name())));
    }
    out.sort(Comparator.comparing(LedgerSnapshot::createdAt).thenComparing(LedgerSnapshot::runId));
    return out;
  }

  public Optional<LedgerSnapshot> snapshot(String runId) {
    return store.readDocument(RUNS + runId + ".json").map(d -> Json.read(d.content(), LedgerSnapshot.class, d.name()));
  }

  /** The fact table written by {@code runId}. */
  public List<FactRow> table(String runId) {
    LedgerSnapshot s = snapshot(runId).orElseThrow(() -> new ObjectNotFoundException(RUNS + runId + ".json (no ledger snapshot for run " + runId + ")", store.describe()));
    return rows(s);
  }

  /** The fact table of the latest run that recorded {@code modelVersion}. */
  public Optional<List<FactRow>> tableOfVersion(String modelVersion) {
    List<LedgerSnapshot> all = snapshots();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (Objects.equals(all.get(i).modelVersion(), modelVersion)) return Optional.of(rows(all.get(i)));
    }
    return Optional.empty();
  }

  /** Every recorded state of one fact, oldest first (one row per run that recorded it). */
  public List<FactRow> history(String factId) {
    List<FactRow> out = new ArrayList<>();
    for (LedgerSnapshot s : snapshots()) {
      for (FactRow r : rows(s)) if (r.factId().equals(factId)) out.add(r);
    }
    return out;
  }

  /** Facts added, removed, or changed (stage, scale, edit, recall) from table {@code a} to {@code b}. */
  public static List<FactChange> diff(List<FactRow> a, List<FactRow> b) {
    Map<String, FactRow> before = byFact(a);
    Map<String, FactRow> after = byFact(b);
    TreeSet<String> ids = new TreeSet<>(before.keySet());
    ids.addAll(after.keySet());
    List<FactChange> out = new ArrayList<>();
    for (String id : ids) {
      FactRow x = before.get(id);
      FactRow y = after.get(id);
      if (x == null) out.add(new FactChange(id, FactChange.Kind.ADDED, null, y));
      else if (y == null) out.add(new FactChange(id, FactChange.Kind.REMOVED, x, null));
      else if (x.stage() != y.stage() || x.memitScale() != y.memitScale() || !Objects.equals(x.editId(), y.editId())
          || !Objects.equals(x.rawRecall(), y.rawRecall()) || !Objects.equals(x.chatRecall(), y.chatRecall())) {
        out.add(new FactChange(id, FactChange.Kind.CHANGED, x, y));
      }
    }
    return out;
  }

  private static Map<String, FactRow> byFact(List<FactRow> rows) {
    Map<String, FactRow> m = new TreeMap<>();
    for (FactRow r : rows) {
      if (m.put(r.factId(), r) != null) throw new IllegalArgumentException("fact " + r.factId() + " appears twice in one table");
    }
    return m;
  }

  private List<FactRow> rows(LedgerSnapshot s) {
    List<FactRow> cached = cache.get(s.key());
    if (cached != null) return cached;
    Path tmp = null;
    try {
      tmp = Files.createTempFile("ledger-" + s.runId(), ".parquet");
      store.get(s.key(), tmp);
      List<FactRow> rows = List.copyOf(ParquetFactTable.read(tmp, "ledger snapshot of run " + s.runId() + " (" + s.key() + ")"));
      cache.put(s.key(), rows);
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ledger snapshot of run " + s.runId(), e);
    } finally {
      if (tmp != null) tmp.toFile().delete();
    }
  }
}
