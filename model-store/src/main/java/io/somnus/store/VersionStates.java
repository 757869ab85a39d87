package io.somnus.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stored model versions as the engine's {@link MemoryState} (fused checkpoint on local disk, MEMIT edits, per-fact
 * stages) and back: the one loader of the wake and the sleep steps. A version's fact stages come from the fact-ledger
 * snapshot written for it; a version a sleep step derived (a working, candidate or gated version) carries the table it
 * was derived with until a run's snapshot records it; an imported version has all its edited facts at stage 0.
 */
public final class VersionStates {
  /**
   * Stage tables of derived versions, one immutable document per version. Without it a candidate read back by the
   * next step had every fact at stage 0, so a gate could never move a fact past stage 1 however often it slept.
   */
  static final String STAGES = "stages/";

  /** One fact of a stored stage table. */
  record StageRow(String subject, String relation, String object, String editId, int stage) {}

  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final Path workDir;

  /** @param workDir local cache: materialised checkpoints live under {@code versions/<id>} */
  public VersionStates(ModelRegistry registry, FactLedger ledger, Path workDir) {
    this.registry = registry;
    this.ledger = ledger;
    this.workDir = workDir;
  }

  public ModelRegistry registry() {
    return registry;
  }

  public FactLedger ledger() {
    return ledger;
  }

  /** @throws VersionNotFoundException if there is no such version */
  public ModelVersion version(String id) {
    return registry.version(id);
  }

  /** The version's fused checkpoint on local disk, downloaded (verified, atomically) once. */
  public Path checkpoint(String versionId) {
    Path dir = workDir.resolve("versions").resolve(versionId);
    if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
    return registry.materialise(versionId, dir);
  }

  public List<MemitEdit> edits(ModelVersion v) {
    List<MemitEdit> out = new ArrayList<>();
    for (EditRef r : v.memitEdits()) out.add(EditArtifacts.read(registry.store(), r.key()));
    return out;
  }

  /** Ledger rows recorded for the version, if a run wrote a snapshot for it. */
  public Optional<List<FactRow>> rows(String versionId) {
    return ledger.tableOfVersion(versionId);
  }

  public FactStageTable stages(ModelVersion v, List<MemitEdit> edits) {
    Optional<List<FactRow>> rows = rows(v.id());
    if (rows.isEmpty()) return storedStages(v.id()).orElseGet(() -> FactStageTable.of(edits));
    List<FactStageTable.Entry> entries = new ArrayList<>();
    for (FactRow r : rows.get()) if (r.held()) entries.add(entry(r.subject(), r.relation(), r.object(), r.editId(), r.stage()));
    return FactStageTable.of(entries);
  }

  /** Stages without the model: enough for bookkeeping. */
  public FactStageTable stages(String versionId) {
    ModelVersion v = version(versionId);
    return stages(v, edits(v));
  }

  public MemoryState state(String versionId) {
    return state(version(versionId));
  }

  public MemoryState state(ModelVersion v) {
    List<MemitEdit> edits = edits(v);
    return new MemoryState(checkpoint(v.id()), v.loraHistory().size(), edits, stages(v, edits));
  }

  /**
   * Registers a version derived from {@code parent}: given fused weights (null keeps the parent's), LoRA history, and
   * the edits still active at the scales the table gives them; stores the table beside it.
   */
  public String derive(ModelVersion parent, Path fusedDir, List<String> loraHistory, List<MemitEdit> edits,
      FactStageTable table, String runId, Map<String, Double> metrics) {
    Path dir = fusedDir != null ? fusedDir : checkpoint(parent.id());
    List<EditRef> refs = new ArrayList<>();
    for (MemitEdit e : edits) {
      if (table.dissolved(e)) continue; // scale 0: its capacity is freed, the fused weights hold its facts
      refs.add(new EditRef(e.id(), EditArtifacts.write(registry.store(), e), table.scale(e)));
    }
    return register(new NewVersion(parent.id(), dir, loraHistory, refs, runId, metrics), table).id();
  }

  /** Registers {@code draft} with its fact stages, so the version's table is known before any run records it. */
  public ModelVersion register(NewVersion draft, FactStageTable table) {
    ModelVersion v = registry.create(draft);
    storeStages(v.id(), table);
    return v;
  }

  /**
   * Removes a version registered by a write that then lost the race for {@code live}: it was never live and nothing
   * refers to it. Refused for a version that is or was live.
   */
  public void discard(String versionId) {
    registry.discardUnpromoted(versionId);
    registry.store().delete(STAGES + versionId + ".json");
  }

  private void storeStages(String versionId, FactStageTable table) {
    List<StageRow> rows = new ArrayList<>();
    for (FactStageTable.Entry e : table.entries()) {
      rows.add(new StageRow(e.fact().subject(), e.fact().relation(), e.fact().object(), e.editId(), e.stage().level()));
    }
    try {
      registry.store().writeDocument(STAGES + versionId + ".json", Json.write(rows), WriteCondition.absent());
    } catch (PreconditionFailedException exists) {
      // A retried step derived the same version again: its table is already there (version ids are content hashes).
      if (!storedStages(versionId).map(t -> t.entries().equals(table.entries())).orElse(false)) {
        throw new IllegalStateException("version " + versionId + " already has a different stage table");
      }
    }
  }

  private Optional<FactStageTable> storedStages(String versionId) {
    return registry.store().readDocument(STAGES + versionId + ".json").map(d -> {
      try {
        List<StageRow> rows = Json.MAPPER.readValue(d.content(), new TypeReference<List<StageRow>>() {});
        List<FactStageTable.Entry> entries = new ArrayList<>();
        for (StageRow r : rows) entries.add(entry(r.subject(), r.relation(), r.object(), r.editId(), r.stage()));
        return FactStageTable.of(entries);
      } catch (IOException e) {
        throw new UncheckedIOException(d.name() + ": unreadable stage table", e);
      }
    });
  }

  /** A table row as the ledger and the stored stage document both keep it. */
  private static FactStageTable.Entry entry(String subject, String relation, String object, String editId, int stage) {
    return new FactStageTable.Entry(new Fact(subject, relation, object), editId, FactStage.ofLevel(stage));
  }
}
