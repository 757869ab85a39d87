package io.somnus.cli.wake;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.WakeWrite;
import io.somnus.infra.TorchThreads;
import io.somnus.store.Aliases;
import io.somnus.store.EditArtifacts;
import io.somnus.store.EditRef;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The awake model: the live version loaded as fused weights plus MEMIT edits, and the one writer of
 * new facts. {@link #teach} computes one MEMIT edit for the facts on the live weights (and tops up the earlier facts
 * it displaced, replacing their edits), registers a new version (same fused checkpoint, the new edit at scale 1,
 * stage 0 for its facts), writes its
 * fact-ledger snapshot and moves {@code live} to it by compare-and-set: a sleep that promoted in the
 * meantime makes the teach fail cleanly instead of dropping the sleep's work.
 *
 * <p>Before each use it re-reads the alias table, so a promotion by a sleep is picked up on the next
 * turn. Not thread-safe: one conversation turn at a time.
 */
public final class WakeMemory implements AutoCloseable {
  /**
   * What one {@link #teach} did.
   *
   * @param repaired earlier facts the new edit displaced and the repair wrote again (their stages kept)
   * @param recalledRightAfter raw recall on the new version, for the written and the repaired facts
   */
  public record Taught(String versionId, String editId, List<Fact> written, List<Fact> repaired, Map<String, String> skipped,
      Map<String, Boolean> recalledRightAfter) {
    public Taught {
      written = List.copyOf(written);
      repaired = List.copyOf(repaired);
      skipped = Map.copyOf(skipped);
      recalledRightAfter = Map.copyOf(recalledRightAfter);
    }
  }

  private final VersionLoader versions;
  private final Device device;
  private final List<String> statsTexts;
  private final Path statsCache;
  private long loadedGeneration = -1;
  private ModelVersion loaded;
  private MemoryState state;
  private ComposedModel model;

  /**
   * @param statsTexts generic text for MEMIT's key statistics (collected once per fused checkpoint)
   * @param statsCache folder caching those statistics, or null
   */
  public WakeMemory(ModelRegistry registry, FactLedger ledger, Path workDir, Device device, List<String> statsTexts, Path statsCache) {
    this.versions = new VersionLoader(registry, ledger, workDir);
    this.device = device;
    this.statsTexts = List.copyOf(statsTexts);
    this.statsCache = statsCache;
  }

  /** The live model, reloaded when the live alias moved since the last call. */
  public ModelRuntime runtime() {
    refresh();
    return model.runtime();
  }

  public String liveVersionId() {
    refresh();
    return loaded.id();
  }

  /** Facts the live version holds, with their stages. */
  public FactStageTable facts() {
    refresh();
    return state.stages();
  }

  private void refresh() {
    TorchThreads.inferenceMode(); // callers may be on any thread (HTTP handlers): grad mode is per thread
    Aliases a = versions.registry().aliases();
    if (a.live() == null) throw new IllegalStateException("no live model version yet: import a base model first (`somnus dev up` does)");
    if (model != null && a.generation() == loadedGeneration && a.live().equals(loaded.id())) return;
    ModelVersion v = versions.registry().version(a.live());
    MemoryState s = versions.state(v);
    ComposedModel m = s.load(device);
    if (model != null) model.close();
    model = m;
    state = s;
    loaded = v;
    loadedGeneration = a.generation();
  }

  /**
   * Writes {@code facts} into the live model as one MEMIT edit, every fact already in memory preserved and those it
   * displaces written again, and makes the result live.
   *
   * @throws io.somnus.store.AliasConflictException if live moved while writing (nothing was promoted)
   */
  public Taught teach(List<Fact> facts, String runId) {
    refresh();
    long generation = loadedGeneration;
    Map<String, String> skipped = new HashMap<>();
    Set<String> known = new LinkedHashSet<>();
    for (FactStageTable.Entry e : state.stages().entries()) known.add(e.fact().id());
    List<Fact> fresh = new ArrayList<>();
    for (Fact f : new LinkedHashSet<>(facts)) {
      if (known.contains(f.id())) skipped.put(f.sentence(), "already in memory");
      else fresh.add(f);
    }
    if (fresh.isEmpty()) return new Taught(loaded.id(), null, List.of(), List.of(), skipped, Map.of());

    // Written on a scratch copy of the live weights, so that the repair can replace the edits holding facts the new
    // edit displaced while the live model keeps answering; the live model changes only when the new version is promoted.
    WakeWrite.Result w = WakeWrite.write(state, fresh, statsTexts, statsCache, device);
    skipped.putAll(w.skipped());
    if (w.written().isEmpty()) return new Taught(loaded.id(), null, List.of(), List.of(), skipped, Map.of());
    List<Fact> written = w.written();
    List<Fact> repaired = w.repaired();
    Set<String> replaced = w.replacedEditIds();
    List<MemitEdit> edits = w.state().edits();
    FactStageTable table = w.state().stages();
    MemitEdit edit = w.edit();

    Set<String> stored = new LinkedHashSet<>();
    List<EditRef> refs = new ArrayList<>();
    for (EditRef r : loaded.memitEdits()) {
      if (replaced.contains(r.editId())) continue;
      refs.add(r);
      stored.add(r.editId());
    }
    for (MemitEdit e : edits) {
      if (!stored.contains(e.id())) refs.add(new EditRef(e.id(), EditArtifacts.write(versions.registry().store(), e), table.scale(e)));
    }
    ModelVersion next = versions.registry().create(new NewVersion(loaded.id(), state.fusedCheckpoint(), loaded.loraHistory(),
        refs, runId, Map.of("facts_written", (double) written.size(), "facts_repaired", (double) repaired.size())));

    MemoryState nextState = w.state();
    ComposedModel nextModel = nextState.load(device);
    Map<String, Boolean> recalled = new HashMap<>();
    RecallProbe probe = new RecallProbe(nextModel.runtime(), 12);
    for (Fact f : written) recalled.put(f.id(), probe.rawRecall(f));
    for (Fact f : repaired) recalled.put(f.id(), probe.rawRecall(f));

    versions.ledger().write(runId, next.id(), rows(table, edits, recalled, runId, next.id()));
    try {
      versions.registry().promote(next.id(), runId, generation);
    } catch (RuntimeException e) {
      nextModel.close();
      throw e;
    }
    model.close();
    model = nextModel;
    state = nextState;
    loaded = next;
    loadedGeneration = generation + 1;
    return new Taught(next.id(), edit.id(), written, repaired, skipped, recalled);
  }


  /** Ledger rows of a version: every fact with its stage, its edit's scale and, for new ones, recall. */
  private List<FactRow> rows(FactStageTable table, List<MemitEdit> edits, Map<String, Boolean> recalled, String runId, String versionId) {
    Map<String, MemitEdit> byId = new HashMap<>();
    for (MemitEdit e : edits) byId.put(e.id(), e);
    Map<String, FactRow> previous = new HashMap<>();
    versions.rows(loaded.id()).ifPresent(rows -> rows.forEach(r -> previous.put(r.factId(), r)));
    Instant now = Instant.now();
    List<FactRow> out = new ArrayList<>();
    for (FactStageTable.Entry e : table.entries()) {
      String id = e.fact().id();
      MemitEdit edit = byId.get(e.editId());
      float scale = edit == null ? e.stage().memitScale() : table.scale(edit);
      FactRow before = previous.get(id);
      // boxed on both sides: a primitive 1.0/0.0 here would unbox a previous row's null recall (NPE after any sleep)
      Double raw = recalled.containsKey(id) ? Double.valueOf(recalled.get(id) ? 1.0 : 0.0) : before == null ? null : before.rawRecall();
      Double chat = before == null || recalled.containsKey(id) ? null : before.chatRecall();
      String source = before == null ? null : before.sourceTurn();
      out.add(new FactRow(id, e.fact().subject(), e.fact().relation(), e.fact().object(), source, e.editId(), e.stage().level(),
          scale, raw, chat, runId, versionId, now));
    }
    return out;
  }

  /**
   * Registers {@code checkpointDir} as the first version and makes it live, if nothing is live yet.
   *
   * @return the live version id (the existing one when there already is one)
   */
  public static String importBase(ModelRegistry registry, FactLedger ledger, Path checkpointDir, String runId) {
    Optional<String> live = Optional.ofNullable(registry.aliases().live());
    if (live.isPresent()) return live.get();
    ModelVersion v = registry.create(NewVersion.base(checkpointDir, runId));
    ledger.write(runId, v.id(), List.of());
    registry.promote(v.id(), runId, 0);
    return v.id();
  }

  @Override
  public void close() {
    if (model != null) model.close();
    model = null;
  }
}
