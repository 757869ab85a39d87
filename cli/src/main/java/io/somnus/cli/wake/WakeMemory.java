package io.somnus.cli.wake;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.model.CheckpointException;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.WakeRemoval;
import io.somnus.engine.sleep.WakeWrite;
import io.somnus.activities.local.LocalStepSettings;
import io.somnus.engine.model.Runtimes;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.TorchThreads;
import io.somnus.store.AliasConflictException;
import io.somnus.store.Aliases;
import io.somnus.store.EditArtifacts;
import io.somnus.store.EditRef;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.RegistryMirror;
import io.somnus.store.RunOutcome;
import io.somnus.store.RunTracker;
import io.somnus.store.TrackingException;
import io.somnus.store.WakeRecord;
import io.somnus.store.VersionStates;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger log = LoggerFactory.getLogger(WakeMemory.class);

  /**
   * What one {@link #teach} did.
   *
   * @param repaired earlier facts the new edit displaced and the repair wrote again (their stages kept)
   * @param recalledRightAfter raw recall on the new version, for the written, repaired, re-solved and removed facts
   * @param removed facts taken out (superseded, forgotten, retracted)
   * @param resolved facts that shared an edit with a removed fact and were solved again without it (stages kept)
   */
  public record Taught(String versionId, String editId, List<Fact> written, List<Fact> repaired, Map<String, String> skipped,
      Map<String, Boolean> recalledRightAfter, List<Removal> removed, List<Fact> resolved, List<Fact> notKept) {
    public Taught {
      notKept = List.copyOf(notKept);
      written = List.copyOf(written);
      repaired = List.copyOf(repaired);
      skipped = Map.copyOf(skipped);
      recalledRightAfter = Map.copyOf(recalledRightAfter);
      removed = List.copyOf(removed);
      resolved = List.copyOf(resolved);
    }

    /** True when the write changed the model: something written or taken out. */
    public boolean changed() {
      return !written.isEmpty() || !removed.isEmpty();
    }
  }

  /**
   * A fact the live model holds, to be taken out: held by a MEMIT edit (stages 0–2), its edit is removed and re-solved
   * without it ({@link WakeRemoval}); what sleeps put into the fused weights (stage 3, or part of stages 1–2) is
   * overwritten by the fact that replaces it.
   *
   * @param why {@link FactRow#SUPERSEDED}, {@link FactRow#FORGOTTEN} or {@link FactRow#RETRACTED}
   * @param by the fact written in its place by the same teach: for a superseded fact, its new value; for a forgotten or
   *     retracted one the fused weights still state, the base model's answer ({@link BaseAnswers}); else null
   */
  public record Removal(Fact fact, String why, Fact by) {
    public Removal {
      if (FactRow.SUPERSEDED.equals(why) && by == null) throw new IllegalArgumentException("a superseded fact names its replacement");
    }

    /** A forgotten or retracted fact whose place the base model's answer takes. */
    public boolean restoresBaseAnswer() {
      return by != null && !FactRow.SUPERSEDED.equals(why);
    }
  }

  private final VersionStates versions;
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
    this(registry, ledger, workDir, device, statsTexts, statsCache, null);
  }

  /**
   * Where a wake's writes are recorded besides the registry and the ledger: one tracked run per write, and the
   * tracking server's model registry following live. Best effort: a tracking server that is down never fails a teach.
   */
  public record Tracked(RunTracker runs, RegistryMirror mirror, String modelId) {}

  private final Tracked tracked;

  /** @param tracked where writes are recorded as runs; null records none */
  public WakeMemory(ModelRegistry registry, FactLedger ledger, Path workDir, Device device, List<String> statsTexts, Path statsCache,
      Tracked tracked) {
    this.tracked = tracked;
    this.versions = new VersionStates(registry, ledger, workDir);
    this.device = device;
    this.statsTexts = List.copyOf(statsTexts);
    this.statsCache = statsCache;
  }

  /**
   * The wake of a process's services, as every writer of facts uses it (chat, teach, serve, the evaluation): MEMIT's
   * key statistics from the model's reference texts, cached under the Somnus home.
   */
  public static WakeMemory of(SomnusServices services, Device device) {
    // 300 texts: a second moment from 30 protected those texts and little else (evaluation, wake capacity).
    List<String> texts = ProductSteps.world(services.config()).referenceTexts(LocalStepSettings.KEY_STATISTICS_TEXTS);
    String model = services.config().modelId();
    Tracked tracked = new Tracked(new RunTracker(services.tracking(), services.experiment()),
        new RegistryMirror(services.registry(), services.tracking(), model, services.experiment()), model);
    return new WakeMemory(services.registry(), services.ledger(), ProductSteps.workDir(services.config()), device, texts,
        Runtimes.somnusHome().resolve("cache"), tracked);
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

  /** The live version as the engine's state: fused checkpoint, MEMIT edits and fact stages. */
  public MemoryState state() {
    refresh();
    return state;
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

  /** Times a teach is written again on a live version that moved while it was being written, before it gives up. */
  static final int ATTEMPTS_ON_A_MOVING_LIVE = 3;

  /**
   * Writes {@code facts} into the live model as one MEMIT edit, every fact already in memory preserved and those it
   * displaces written again, and makes the result live. When live moved while it was being written (a sleep
   * promoted), the write is solved again on the new live weights.
   *
   * @throws AliasConflictException if live kept moving over {@link #ATTEMPTS_ON_A_MOVING_LIVE} writes (nothing promoted)
   */
  public Taught teach(List<Fact> facts, String runId) {
    return teach(facts, List.of(), runId);
  }

  /**
   * Takes {@code removals} out of the live model exactly (see {@link Removal}) and writes {@code facts} on what is left,
   * as one new live version: an update is the removal of the old value and the write of the new one; a forgotten or
   * retracted fact that the fused weights still state gets the base model's answer written in its place. A removed fact
   * stays in memory when what replaces it could not be written.
   *
   * @throws IllegalArgumentException for a removal of a fact the live model does not hold, or of a base model's answer
   *     that holds a forgotten fact down; nothing is changed
   */
  public Taught teach(List<Fact> facts, List<Removal> removals, String runId) {
    Instant started = Instant.now();
    String liveBefore = liveVersionId();
    for (int attempt = 1; ; attempt++) {
      try {
        Taught taught = teachOnce(facts, removals, runId);
        record(runId, started, liveBefore, taught);
        return taught;
      } catch (AliasConflictException moved) {
        if (attempt >= ATTEMPTS_ON_A_MOVING_LIVE) throw moved;
      }
    }
  }

  /** The write as a tracked run, and the tracking registry brought in line with live: best effort. */
  private void record(String runId, Instant started, String liveBefore, Taught t) {
    if (tracked == null) return;
    try {
      List<WakeRecord.WrittenFact> facts = new ArrayList<>();
      for (Fact f : t.written()) facts.add(new WakeRecord.WrittenFact(f.id(), f.sentence(), false, t.recalledRightAfter().get(f.id())));
      for (Fact f : t.repaired()) facts.add(new WakeRecord.WrittenFact(f.id(), f.sentence(), true, t.recalledRightAfter().get(f.id())));
      Map<String, String> artifacts = new LinkedHashMap<>();
      if (t.changed()) {
        ModelVersion v = versions.registry().version(t.versionId());
        v.memitEdits().stream().filter(e -> e.editId().equals(t.editId())).findFirst()
            .ifPresent(e -> artifacts.put(RunTracker.memitEditArtifact(e.editId()), versions.registry().store().uri(e.key())));
        artifacts.put(RunTracker.MODEL_VERSION_ARTIFACT, versions.registry().manifestUri(t.versionId()));
      }
      // Removals are the ledger's (retired rows); the tracked run lists what was written.
      tracked.runs().recordWake(new WakeRecord(runId, tracked.modelId(), "wake", started, Instant.now(),
          t.changed() ? RunOutcome.TAUGHT : RunOutcome.NOTHING_NEW, liveBefore, t.versionId(), t.editId(), facts,
          t.skipped(), List.of(), artifacts));
      if (t.changed()) tracked.mirror().sync();
    } catch (TrackingException e) {
      log.warn("tracking: the wake write {} is live but could not be recorded: {}", runId, e.getMessage());
    }
  }

  private Taught teachOnce(List<Fact> facts, List<Removal> removals, String runId) {
    refresh();
    long generation = loadedGeneration;
    Map<String, String> skipped = new HashMap<>();
    FactStageTable before = state.stages();
    List<Fact> fresh = new ArrayList<>();
    for (Fact f : new LinkedHashSet<>(facts)) {
      if (before.entry(f).isPresent()) skipped.put(f.sentence(), "already in memory");
      else fresh.add(f);
    }
    for (Removal r : removals) {
      if (before.entry(r.fact()).isEmpty()) {
        throw new IllegalArgumentException("fact " + r.fact().id() + " (" + r.fact().sentence() + ") is not in the live memory");
      }
    }
    refuseTakingOutBaseAnswers(removals);
    List<Removal> removing = withBaseAnswers(removals, before);
    // Two forgotten values of one multi-valued relation get the same base answer: written once.
    for (Removal r : removing) if (r.restoresBaseAnswer() && before.entry(r.by()).isEmpty() && !fresh.contains(r.by())) fresh.add(r.by());
    while (true) {
      if (fresh.isEmpty() && removing.isEmpty()) return new Taught(loaded.id(), null, List.of(), List.of(), skipped, Map.of(), List.of(), List.of(), List.of());
      Written w = write(fresh, removing);
      skipped.putAll(w.skipped());
      // A superseded value stays until its replacement is written: an update that cannot be written loses nothing.
      List<Removal> orphaned = removing.stream().filter(r -> r.by() != null && !w.written().contains(r.by())).toList();
      if (!orphaned.isEmpty()) {
        for (Removal r : orphaned) {
          skipped.put(r.fact().sentence(), r.restoresBaseAnswer()
              ? "kept: the base model's answer (" + r.by().sentence() + ") could not be written in its place"
              : "kept: its update " + r.by().sentence() + " could not be written");
        }
        removing.removeAll(orphaned);
        fresh.removeIf(f -> orphaned.stream().anyMatch(r -> r.by().equals(f)));
        w.close();
        continue;
      }
      if (w.written().isEmpty() && removing.isEmpty()) {
        w.close();
        return new Taught(loaded.id(), null, List.of(), List.of(), skipped, Map.of(), List.of(), List.of(), List.of());
      }
      return register(w, removing, skipped, runId, generation);
    }
  }

  /**
   * A base model's answer written in place of a forgotten fact holds that fact down: forgetting or retracting it would
   * bring the forgotten one back from the fused weights. An update may replace it.
   */
  private void refuseTakingOutBaseAnswers(List<Removal> removals) {
    if (removals.stream().allMatch(r -> r.by() != null)) return; // no forget or retract: no ledger read on a plain teach
    Map<String, FactRow> held = new HashMap<>();
    versions.rows(loaded.id()).ifPresent(rows -> rows.stream().filter(FactRow::held).forEach(r -> held.put(r.factId(), r)));
    for (Removal r : removals) {
      FactRow row = held.get(r.fact().id());
      if (r.by() != null || row == null || row.supersedes() == null) continue;
      List<FactRow> replaced = versions.ledger().history(row.supersedes());
      if (replaced.isEmpty() || replaced.get(replaced.size() - 1).held()
          || FactRow.SUPERSEDED.equals(replaced.get(replaced.size() - 1).retired())) continue;
      FactRow gone = replaced.get(replaced.size() - 1);
      throw new IllegalArgumentException("fact " + r.fact().id() + " (" + r.fact().sentence() + ") is the base model's answer, written"
          + " in place of fact " + gone.factId() + " (" + gone.subject() + " " + gone.relation() + " " + gone.object() + "), which was "
          + gone.retired() + ": taking it out would bring that fact back from the fused weights. State the value that holds"
          + " instead. Nothing was changed");
    }
  }

  /**
   * The removals, each forgotten or retracted fact that the fused weights still state paired with the base model's
   * answer that is written in its place ({@link BaseAnswers}); updates already name their new value.
   */
  private List<Removal> withBaseAnswers(List<Removal> removals, FactStageTable table) {
    List<Fact> plain = removals.stream().filter(r -> r.by() == null).map(Removal::fact).toList();
    if (plain.isEmpty()) return List.copyOf(removals);
    List<Fact> removed = removals.stream().map(Removal::fact).toList();
    List<Fact> heldBesides = table.facts().stream().filter(f -> !removed.contains(f)).toList();
    Map<Fact, Fact> base = BaseAnswers.byForgotten(BaseAnswers.restores(versions, loaded, state, plain, heldBesides, device));
    List<Removal> out = new ArrayList<>();
    for (Removal r : removals) out.add(r.by() == null && base.containsKey(r.fact()) ? new Removal(r.fact(), r.why(), base.get(r.fact())) : r);
    return out;
  }

  /** A new memory state, not yet registered: the removals taken out, then the facts written, and the loaded model of it. */
  private record Written(MemoryState state, MemitEdit edit, List<Fact> written, List<Fact> repaired, List<Fact> notKept,
      Set<String> replacedEditIds, Map<String, String> skipped, List<Fact> resolved, ComposedModel model) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  private Written write(List<Fact> fresh, List<Removal> removing) {
    MemoryState start = state;
    Map<String, String> skipped = new HashMap<>();
    Set<String> replaced = new LinkedHashSet<>();
    List<Fact> resolved = new ArrayList<>();
    List<Fact> exact = new ArrayList<>();
    List<Fact> overwritten = new ArrayList<>();
    // An edit can still carry a consolidated fact (it is kept at a scale for its other facts): taken out of it exactly,
    // or a later repair that merges the edit would write the fact back.
    for (Removal r : removing) (WakeRemoval.heldByAnEdit(start, r.fact()) ? exact : overwritten).add(r.fact());
    if (!exact.isEmpty()) {
      WakeRemoval.Result removed = WakeRemoval.remove(start, exact, statsTexts, statsCache, device);
      start = removed.state();
      replaced.addAll(removed.replacedEditIds());
      removed.resolved().forEach(e -> resolved.addAll(e.facts()));
      removed.notKept().forEach((f, why) -> skipped.put(f.sentence(), "taken out with the edit it shared with a removed fact and"
          + " not written again: " + why));
    }
    // A consolidated value is in the fused weights: the new edit overwrites it, and its table row goes.
    if (!overwritten.isEmpty()) start = new MemoryState(start.fusedCheckpoint(), start.generation(), start.edits(), start.stages().without(overwritten));
    MemitEdit edit = null;
    List<Fact> written = List.of();
    List<Fact> repaired = List.of();
    List<Fact> notKept = List.of();
    if (!fresh.isEmpty()) {
      // Written on a scratch copy of the live weights, so that the repair can replace the edits holding facts the new
      // edit displaced while the live model keeps answering; the live model changes only when the new version is promoted.
      WakeWrite.Result w = WakeWrite.write(start, fresh, statsTexts, statsCache, device);
      skipped.putAll(w.skipped());
      if (!w.written().isEmpty()) {
        start = w.state();
        edit = w.edit();
        written = w.written();
        repaired = w.repaired();
        notKept = w.notKept();
        replaced.addAll(w.replacedEditIds());
      }
    }
    return new Written(start, edit, written, repaired, notKept, replaced, skipped, resolved, start.load(device));
  }

  private Taught register(Written w, List<Removal> removing, Map<String, String> skipped, String runId, long generation) {
    List<MemitEdit> edits = w.state().edits();
    FactStageTable table = w.state().stages();
    Set<String> stored = new LinkedHashSet<>();
    List<EditRef> refs = new ArrayList<>();
    Set<String> present = new LinkedHashSet<>();
    for (MemitEdit e : edits) present.add(e.id());
    for (EditRef r : loaded.memitEdits()) {
      if (w.replacedEditIds().contains(r.editId()) || !present.contains(r.editId())) continue;
      refs.add(r);
      stored.add(r.editId());
    }
    for (MemitEdit e : edits) {
      if (!stored.contains(e.id())) refs.add(new EditRef(e.id(), EditArtifacts.write(versions.registry().store(), e), table.scale(e)));
    }
    ComposedModel nextModel = w.model();
    Map<String, Boolean> recalled = new HashMap<>();
    RecallProbe probe = new RecallProbe(nextModel.runtime(), 12);
    for (Fact f : w.written()) recalled.put(f.id(), probe.rawRecall(f));
    for (Fact f : w.repaired()) recalled.put(f.id(), probe.rawRecall(f));
    for (Fact f : w.resolved()) recalled.put(f.id(), probe.rawRecall(f));
    for (Removal r : removing) recalled.put(r.fact().id(), probe.rawRecall(r.fact()));

    ModelVersion next;
    try {
      next = versions.register(new NewVersion(loaded.id(), state.fusedCheckpoint(), loaded.loraHistory(), refs, runId,
          Map.of("facts_written", (double) w.written().size(), "facts_repaired", (double) w.repaired().size(),
              "facts_removed", (double) removing.size())), table);
      try {
        versions.registry().promote(next.id(), runId, generation);
      } catch (AliasConflictException moved) {
        versions.discard(next.id()); // never live, referenced by nothing: it would only be an orphan
        throw moved;
      }
    } catch (RuntimeException e) {
      nextModel.close();
      throw e;
    }
    // After the promote: its stage table went in with the version, so a crash here loses no stage.
    versions.ledger().write(runId, next.id(), rows(table, edits, recalled, removing, runId, next.id()));
    model.close();
    model = nextModel;
    state = w.state();
    loaded = next;
    loadedGeneration = generation + 1;
    return new Taught(next.id(), w.edit() == null ? null : w.edit().id(), w.written(), w.repaired(), skipped, recalled, removing,
        w.resolved(), w.notKept());
  }

  /**
   * Ledger rows of a version: every fact with its stage, its edit's scale and, for new ones, recall; then a retired row
   * for each fact the write took out, saying why and, for an update, which fact replaced it.
   */
  private List<FactRow> rows(FactStageTable table, List<MemitEdit> edits, Map<String, Boolean> recalled, List<Removal> removed,
      String runId, String versionId) {
    Map<String, MemitEdit> byId = new HashMap<>();
    for (MemitEdit e : edits) byId.put(e.id(), e);
    Map<String, FactRow> previous = new HashMap<>();
    versions.rows(loaded.id()).ifPresent(rows -> rows.stream().filter(FactRow::held).forEach(r -> previous.put(r.factId(), r)));
    Map<String, String> supersedes = new HashMap<>();
    for (Removal r : removed) if (r.by() != null) supersedes.put(r.by().id(), r.fact().id());
    Instant now = Instant.now();
    List<FactRow> out = new ArrayList<>();
    for (FactStageTable.Entry e : table.entries()) {
      String id = e.fact().id();
      MemitEdit edit = byId.get(e.editId());
      float scale = edit == null ? e.stage().memitScale() : table.scale(edit);
      FactRow before = previous.get(id);
      Double raw = before == null ? null : before.rawRecall(); // a sleep's snapshot may not have measured it
      if (recalled.containsKey(id)) raw = recalled.get(id) ? 1.0 : 0.0;
      Double chat = before == null || recalled.containsKey(id) ? null : before.chatRecall();
      String source = before == null ? null : before.sourceTurn();
      String replaced = supersedes.containsKey(id) ? supersedes.get(id) : before == null ? null : before.supersedes();
      out.add(new FactRow(id, e.fact().subject(), e.fact().relation(), e.fact().object(), source, e.editId(), e.stage().level(),
          scale, raw, chat, runId, versionId, now, null, replaced, null));
    }
    for (Removal r : removed) {
      Fact f = r.fact();
      FactRow before = previous.get(f.id());
      int stage = state.stages().entry(f).map(e -> e.stage().level()).orElse(before == null ? 0 : before.stage());
      Double raw = recalled.containsKey(f.id()) ? (recalled.get(f.id()) ? 1.0 : 0.0) : null;
      out.add(new FactRow(f.id(), f.subject(), f.relation(), f.object(), before == null ? null : before.sourceTurn(), null, stage, 0f,
          raw, null, runId, versionId, now, r.why(), before == null ? null : before.supersedes(), r.by() == null ? null : r.by().id()));
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
    checkLoadable(checkpointDir);
    ModelVersion v = registry.create(NewVersion.base(checkpointDir, runId));
    ledger.write(runId, v.id(), List.of());
    registry.promote(v.id(), runId, 0);
    return v.id();
  }

  /**
   * Loads the checkpoint and runs it once, as every later teach and sleep will: a folder that fails here is refused
   * before anything is registered, instead of becoming a live version nothing can load.
   *
   * @throws CheckpointException naming the folder and what is wrong with it
   */
  static void checkLoadable(Path checkpointDir) {
    try (DjlModelRuntime rt = DjlModelRuntime.load(checkpointDir, Device.cpu())) {
      rt.complete("Hello", GenerationOptions.greedy(1));
    } catch (RuntimeException e) {
      String why = e instanceof CheckpointException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
      throw new CheckpointException("cannot import " + checkpointDir + " as the base model (" + why + "); nothing was"
          + " registered. Give a Hugging Face Llama-family checkpoint folder: config.json, model.safetensors (or an"
          + " index and shards) and tokenizer.json", e);
    }
  }

  @Override
  public void close() {
    if (model != null) model.close();
    model = null;
  }
}
