package io.somnus.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Answers "where did this come from" across the registry, the fact ledger and tracking.
 *
 * <p>The join keys are the run id that the registry ({@link ModelVersion#createdByRun()}) and the
 * ledger ({@link FactRow#runId()}) record, and the {@value #RUN_ID_TAG} tag that the workflow puts
 * on its tracking run (tracking backends assign their own run ids).
 */
public final class Lineage {
  /** Tag on a tracking run naming the Somnus run id (the id registry and ledger record). */
  public static final String RUN_ID_TAG = "somnus.run_id";
  /** Tag on a tracking run naming the model version live after it (see {@link RunTracker}). */
  public static final String MODEL_VERSION_TAG = "somnus.model_version";

  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final Tracking tracking;
  private final String experiment;

  /**
   * @param tracking may be null (no tracking configured): run details are then absent
   * @param experiment tracking experiment the runs are logged in
   */
  public Lineage(ModelRegistry registry, FactLedger ledger, Tracking tracking, String experiment) {
    this.registry = Objects.requireNonNull(registry);
    this.ledger = Objects.requireNonNull(ledger);
    this.tracking = tracking;
    this.experiment = experiment;
  }

  /**
   * One run's effect on one fact.
   *
   * @param before the fact's row in the previous run that recorded it; null when first recorded
   * @param changes human-readable changes, e.g. {@code stage 0→1}, {@code scale 1.0→0.5}
   */
  public record FactEvent(String runId, String modelVersion, Instant time, FactRow before, FactRow after, List<String> changes) {}

  /**
   * Every run that first recorded a fact, changed its stage, MEMIT scale or edit, or took it out of memory (superseded,
   * forgotten, retracted), oldest first.
   */
  /** How a retired row left memory: by whom it was superseded, or forgotten/retracted and what was written in its place. */
  public static String retirement(FactRow row) {
    if (row.supersededBy() == null) return row.retired();
    return FactRow.SUPERSEDED.equals(row.retired()) ? "superseded by fact " + row.supersededBy()
        : row.retired() + ", the base model's answer written in its place as fact " + row.supersededBy();
  }

  public List<FactEvent> factHistory(String factId) {
    List<FactEvent> out = new ArrayList<>();
    FactRow prev = null;
    for (FactRow row : ledger.history(factId)) {
      List<String> changes = new ArrayList<>();
      if (!row.held()) {
        if (prev == null || prev.held()) changes.add(retirement(row));
      } else if (prev == null || !prev.held()) {
        changes.add((prev == null ? "recorded" : "taught again") + " at stage " + row.stage() + ", scale " + row.memitScale()
            + (row.supersedes() != null ? ", superseding fact " + row.supersedes() : ""));
      } else {
        if (prev.stage() != row.stage()) changes.add("stage " + prev.stage() + "→" + row.stage());
        if (prev.memitScale() != row.memitScale()) changes.add("scale " + prev.memitScale() + "→" + row.memitScale());
        if (!Objects.equals(prev.editId(), row.editId())) changes.add("edit " + prev.editId() + "→" + row.editId());
      }
      if (!changes.isEmpty()) out.add(new FactEvent(row.runId(), row.modelVersion(), row.time(), prev, row, List.copyOf(changes)));
      prev = row;
    }
    return out;
  }

  /**
   * What a model version is made of.
   *
   * @param ancestry version ids from the base import down to this version
   * @param producedBy the tracking run that created it, if tracking knows it
   * @param factTable ledger snapshot recorded with this version, if any
   */
  public record Composition(ModelVersion version, List<String> ancestry, Optional<TrackedRun> producedBy,
      Optional<LedgerSnapshot> factTable) {}

  public Composition composition(String versionId) {
    ModelVersion v = registry.version(versionId);
    List<String> ancestry = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ModelVersion cur = v; cur != null; cur = cur.parentId() == null ? null : registry.version(cur.parentId())) {
      if (!seen.add(cur.id())) throw new IllegalStateException("model version " + cur.id() + " is its own ancestor");
      ancestry.add(cur.id());
    }
    Collections.reverse(ancestry);
    Optional<LedgerSnapshot> table = ledger.snapshots().stream()
        .filter(s -> versionId.equals(s.modelVersion()))
        .reduce((a, b) -> b);
    return new Composition(v, List.copyOf(ancestry), producedBy(versionId), table);
  }

  /** The tracking run that created {@code versionId} (tagged {@value #RUN_ID_TAG} = its creating run). */
  public Optional<TrackedRun> producedBy(String versionId) {
    ModelVersion v = registry.version(versionId);
    if (tracking == null) return Optional.empty();
    return tracking.searchRuns(experiment, Map.of(RUN_ID_TAG, v.createdByRun())).stream().findFirst();
  }

  /**
   * A tracked run as lineage shows it.
   *
   * @param runId the Somnus run id (the one registry and ledger record)
   * @param kind sleep, nap, rollback, ...: the run's {@value RunTracker#KIND_TAG} tag, else the run id's first word
   * @param outcome the {@value RunTracker#OUTCOME_TAG} tag; null when the run recorded none
   * @param reasons every parameter and tag whose key speaks of a reason or a refusal (why a candidate was refused, a
   *     sleep failed or a rollback was made), by key
   */
  public record RunRecord(String runId, String kind, String outcome, Map<String, String> reasons, TrackedRun tracked) {
    public RunRecord {
      reasons = Collections.unmodifiableMap(new TreeMap<>(reasons));
    }

    public static RunRecord of(TrackedRun run) {
      String runId = run.tags().getOrDefault(RUN_ID_TAG, run.runName());
      Map<String, String> reasons = new TreeMap<>();
      run.params().forEach((k, v) -> {
        if (isReason(k)) reasons.put(k, v);
      });
      run.tags().forEach((k, v) -> {
        if (isReason(k)) reasons.put(k, v);
      });
      return new RunRecord(runId, run.tags().getOrDefault(RunTracker.KIND_TAG, firstWord(runId)), run.tags().get(RunTracker.OUTCOME_TAG), reasons, run);
    }

    /** The version the run produced or evaluated; null when it names none. */
    public String modelVersion() {
      String v = tracked.tags().get(MODEL_VERSION_TAG);
      return v == null || v.isEmpty() ? null : v;
    }

    private static boolean isReason(String key) {
      String k = key.toLowerCase(java.util.Locale.ROOT);
      return k.contains("reason") || k.contains("refused") || k.contains("error");
    }
  }

  /** Every tracked run of the model, newest first (none without tracking). */
  public List<RunRecord> runs() {
    if (tracking == null) return List.of();
    return tracking.searchRuns(experiment, Map.of()).stream().map(RunRecord::of).toList();
  }

  /**
   * A model version in the graph of all versions.
   *
   * @param kind how it was made: "base" (an import), else the kind of its creating run (wake, sleep, ...: the tracked
   *     run's kind, else the run id's first word, as {@code RunIds} names runs)
   */
  public record VersionNode(ModelVersion version, String kind, boolean live, boolean previous) {}

  /** Every version, oldest first; edges are {@link ModelVersion#parentId()}. */
  public List<VersionNode> versionGraph() {
    Aliases aliases = registry.aliases();
    Map<String, String> runKinds = new HashMap<>();
    for (RunRecord r : runs()) runKinds.putIfAbsent(r.runId(), r.kind());
    List<VersionNode> out = new ArrayList<>();
    for (ModelVersion v : registry.versions()) {
      String kind = v.parentId() == null ? "base" : runKinds.getOrDefault(v.createdByRun(), firstWord(v.createdByRun()));
      out.add(new VersionNode(v, kind, v.id().equals(aliases.live()), v.id().equals(aliases.previous())));
    }
    return out;
  }

  private static String firstWord(String runId) {
    int dash = runId.indexOf('-');
    return dash > 0 ? runId.substring(0, dash) : runId;
  }

  /** Facts added, removed or changed between the fact tables recorded for two versions. */
  public List<FactChange> diff(String versionA, String versionB) {
    List<FactRow> a = ledger.tableOfVersion(versionA).orElseThrow(() -> new VersionNotFoundException("no fact table recorded for model version " + versionA));
    List<FactRow> b = ledger.tableOfVersion(versionB).orElseThrow(() -> new VersionNotFoundException("no fact table recorded for model version " + versionB));
    return FactLedger.diff(a, b);
  }
}
