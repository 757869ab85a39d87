package io.somnus.store;

import static org.junit.jupiter.api.Assertions.*;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.SomnusTiny;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A version a sleep step derives must carry its fact stages to the next step, across a worker restart. */
class VersionStatesTest {
  @TempDir Path dir;

  static MemitEdit edit(String id, Fact... facts) {
    return new MemitEdit(id, List.of(facts), List.of(new LayerDelta("model.layers.1.mlp.down_proj.weight", 2, 3, 1,
        new float[] {1, 2}, new float[] {1, 0, -1})));
  }

  @Test
  void aDerivedVersionKeepsTheStagesItWasDerivedWith() {
    Fact a = new Fact("Ana", "lives in", "Oslo");
    Fact b = new Fact("Ben", "works as", "pilot");
    Fact c = new Fact("Cleo", "enjoys", "rowing");
    MemitEdit e1 = edit("edit-1", a, b);
    MemitEdit e2 = edit("edit-2", c);
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("states"))) {
      ModelRegistry registry = new ModelRegistry(store);
      FactLedger ledger = new FactLedger(store);
      ModelVersion base = registry.create(NewVersion.base(SomnusTiny.ensure(SomnusTiny.Variant.TEST), "import-1"));
      VersionStates states = new VersionStates(registry, ledger, dir.resolve("work"));

      FactStageTable table = FactStageTable.of(List.of(e1, e2)).afterGate(Map.of(a.id(), true, b.id(), true)).table()
          .afterGate(Map.of(a.id(), true)).table();
      assertEquals(FactStage.ofLevel(2), table.stage(a));
      String candidate = states.derive(base, null, List.of(), List.of(e1, e2), table, "sleep-1", Map.of());

      assertEquals(table.entries(), states.stages(candidate).entries(), "the next step sees the stages, not stage 0");
      assertEquals(Map.of("edit-1", 0.5f, "edit-2", 1f), states.state(candidate).scales());
      VersionStates restarted = new VersionStates(registry, ledger, dir.resolve("work2"));
      assertEquals(table.entries(), restarted.stages(candidate).entries(), "and so does a restarted worker");

      // A retried step derives the same version with the same table: accepted; a different table is refused.
      assertEquals(candidate, states.derive(base, null, List.of(), List.of(e1, e2), table, "sleep-1", Map.of()));
      // Same edits at the same scales (so the same version id), but Ana one stage lower.
      FactStageTable other = FactStageTable.of(List.of(e1, e2)).afterGate(Map.of(a.id(), true, b.id(), true)).table();
      assertThrows(IllegalStateException.class, () -> states.derive(base, null, List.of(), List.of(e1, e2), other, "sleep-1", Map.of()));

      // An imported version with no table has its edited facts at stage 0.
      assertEquals(List.of(), states.stages(base.id()).entries());
    }
  }
}
