package io.somnus.cli.wake;

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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A stored version as the engine's {@link MemoryState}: its fused checkpoint on local disk
 * ({@code <workDir>/versions/<id>}, the same cache the sleep steps use), its MEMIT edits, and the
 * fact stages of the ledger snapshot written for it (stage 0 for every edited fact when none was).
 */
final class VersionLoader {
  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final Path workDir;

  VersionLoader(ModelRegistry registry, FactLedger ledger, Path workDir) {
    this.registry = registry;
    this.ledger = ledger;
    this.workDir = workDir;
  }

  ModelRegistry registry() {
    return registry;
  }

  FactLedger ledger() {
    return ledger;
  }

  Path checkpoint(String versionId) {
    Path dir = workDir.resolve("versions").resolve(versionId);
    if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
    try {
      Files.createDirectories(dir.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir.getParent(), e);
    }
    return registry.materialise(versionId, dir);
  }

  List<MemitEdit> edits(ModelVersion v) {
    List<MemitEdit> out = new ArrayList<>();
    for (EditRef r : v.memitEdits()) out.add(EditArtifacts.read(registry.store(), r.key()));
    return out;
  }

  /** Ledger rows recorded for the version, if its creating run wrote a snapshot. */
  Optional<List<FactRow>> rows(String versionId) {
    return ledger.tableOfVersion(versionId);
  }

  FactStageTable stages(ModelVersion v, List<MemitEdit> edits) {
    Optional<List<FactRow>> rows = rows(v.id());
    if (rows.isEmpty()) return FactStageTable.of(edits);
    List<FactStageTable.Entry> entries = new ArrayList<>();
    for (FactRow r : rows.get()) {
      entries.add(new FactStageTable.Entry(new Fact(r.subject(), r.relation(), r.object()), r.editId(), FactStage.ofLevel(r.stage())));
    }
    return FactStageTable.of(entries);
  }

  MemoryState state(ModelVersion v) {
    List<MemitEdit> edits = edits(v);
    return new MemoryState(checkpoint(v.id()), v.loraHistory().size(), edits, stages(v, edits));
  }
}
