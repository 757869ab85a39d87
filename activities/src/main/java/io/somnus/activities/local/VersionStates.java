package io.somnus.activities.local;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.somnus.activities.BadStepInputException;
import io.somnus.activities.FactState;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.store.EditArtifacts;
import io.somnus.store.EditRef;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.PreconditionFailedException;
import io.somnus.store.VersionNotFoundException;
import io.somnus.store.WriteCondition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a stored model version into the engine's {@link MemoryState} (fused checkpoint on local disk,
 * MEMIT edits, per-fact stages) and back. Fact stages of a version come from the fact-ledger snapshot
 * written for it; a version a step derived (a working, candidate or gated version) carries the table it was
 * derived with until a run's snapshot records it; an imported version has all its edited facts at stage 0.
 */
final class VersionStates {
  /**
   * Stage tables of derived versions, one immutable document per version. Without it a candidate read back by the
   * next step had every fact at stage 0, so a gate could never move a fact past stage 1 however often it slept.
   */
  static final String STAGES = "stages/";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One fact of a stored stage table. */
  record StageRow(String subject, String relation, String object, String editId, int stage) {}

  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final Path workDir;

  VersionStates(ModelRegistry registry, FactLedger ledger, Path workDir) {
    this.registry = registry;
    this.ledger = ledger;
    this.workDir = workDir;
  }

  ModelVersion version(String id) {
    try {
      return registry.version(id);
    } catch (VersionNotFoundException e) {
      throw new BadStepInputException("model version " + id + " does not exist", e);
    }
  }

  /** The version's fused checkpoint on local disk, downloaded (verified, atomically) once. */
  Path checkpoint(String versionId) {
    Path dir = workDir.resolve("versions").resolve(versionId);
    if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
    try {
      Files.createDirectories(dir.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return registry.materialise(versionId, dir);
  }

  List<MemitEdit> edits(ModelVersion v) {
    List<MemitEdit> out = new ArrayList<>();
    for (EditRef r : v.memitEdits()) out.add(EditArtifacts.read(registry.store(), r.key()));
    return out;
  }

  FactStageTable stages(ModelVersion v, List<MemitEdit> edits) {
    var rows = ledger.tableOfVersion(v.id());
    if (rows.isEmpty()) return storedStages(v.id()).orElseGet(() -> FactStageTable.of(edits));
    List<FactStageTable.Entry> entries = new ArrayList<>();
    for (FactRow r : rows.get()) {
      entries.add(entry(r.subject(), r.relation(), r.object(), r.editId(), r.stage()));
    }
    return FactStageTable.of(entries);
  }

  /** Stages without the model: enough for the bookkeeping steps. */
  FactStageTable stages(String versionId) {
    ModelVersion v = version(versionId);
    return stages(v, edits(v));
  }

  MemoryState state(String versionId) {
    ModelVersion v = version(versionId);
    List<MemitEdit> edits = edits(v);
    return new MemoryState(checkpoint(versionId), v.loraHistory().size(), edits, stages(v, edits));
  }

  /**
   * Registers a version derived from {@code parent}: given fused weights (null keeps the parent's),
   * LoRA history, and the edits still active at the scales the table gives them.
   */
  String derive(ModelVersion parent, Path fusedDir, List<String> loraHistory, List<MemitEdit> edits,
      FactStageTable table, String runId, Map<String, Double> metrics) {
    Path dir = fusedDir != null ? fusedDir : checkpoint(parent.id());
    List<EditRef> refs = new ArrayList<>();
    for (MemitEdit e : edits) {
      if (table.dissolved(e)) continue;  // scale 0: its capacity is freed, the fused weights hold its facts
      refs.add(new EditRef(e.id(), EditArtifacts.write(registry.store(), e), table.scale(e)));
    }
    String id = registry.create(new NewVersion(parent.id(), dir, loraHistory, refs, runId, metrics)).id();
    storeStages(id, table);
    return id;
  }

  private void storeStages(String versionId, FactStageTable table) {
    List<StageRow> rows = new ArrayList<>();
    for (FactStageTable.Entry e : table.entries()) {
      rows.add(new StageRow(e.fact().subject(), e.fact().relation(), e.fact().object(), e.editId(), e.stage().level()));
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(rows);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      registry.store().writeDocument(STAGES + versionId + ".json", json, WriteCondition.absent());
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
        List<StageRow> rows = JSON.readValue(d.content(), new TypeReference<List<StageRow>>() {});
        List<FactStageTable.Entry> entries = new ArrayList<>();
        for (StageRow r : rows) {
          entries.add(entry(r.subject(), r.relation(), r.object(), r.editId(), r.stage()));
        }
        return FactStageTable.of(entries);
      } catch (IOException e) {
        throw new IllegalStateException(d.name() + ": unreadable stage table: " + e.getMessage(), e);
      }
    });
  }

  /** A table row as the ledger and the stored stage document both keep it. */
  private static FactStageTable.Entry entry(String subject, String relation, String object, String editId, int stage) {
    return new FactStageTable.Entry(new Fact(subject, relation, object), editId, FactStage.ofLevel(stage));
  }

  static List<FactState> factStates(FactStageTable table, Map<String, Boolean> raw, Map<String, Boolean> chat) {
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
