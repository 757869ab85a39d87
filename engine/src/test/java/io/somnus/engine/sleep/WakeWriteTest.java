package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.somnus.engine.model.DType;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wake writes on the somnus-tiny test model keep every fact memory holds, at every stage. */
class WakeWriteTest {
  @TempDir Path dir;

  @Test
  void laterTeachesKeepAFactThatSleepsConsolidatedIntoTheFusedWeights() throws Exception {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path base = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    List<String> texts = world.referenceTexts(20);
    Path cache = dir.resolve("cache");
    Device cpu = Device.cpu();
    List<WorldFact> heldOut = world.heldOutFacts();
    MemoryState empty = new MemoryState(base, 0, List.of(), FactStageTable.empty());
    WakeWrite.Result first = null;
    for (WorldFact w : heldOut) { // the first held-out fact this small model can be taught
      first = WakeWrite.write(empty, List.of(w.fact()), texts, cache, cpu);
      if (!first.written().isEmpty()) break;
    }
    Fact kept = first.written().get(0);
    MemoryState consolidated = consolidatedInto(dir.resolve("fused"), first.state());
    assertTrue(recalled(consolidated, kept), "the fused weights hold the fact with its edit dissolved");

    MemoryState state = consolidated;
    List<Fact> taught = new ArrayList<>();
    boolean everWrittenAgain = false;
    for (WorldFact w : heldOut) {
      if (w.fact().equals(kept) || !w.relation().phrase().equals(kept.relation()) || taught.size() == 6) continue;
      WakeWrite.Result r = WakeWrite.write(state, List.of(w.fact()), texts, cache, cpu);
      state = r.state();
      taught.addAll(r.written());
      assertTrue(r.notKept().isEmpty(), "not kept: " + r.notKept());
      if (r.repaired().contains(kept)) {
        everWrittenAgain = true;
        assertEquals(FactStage.WAKE, state.stages().stage(kept), "written again by MEMIT at full scale, it starts over");
      }
    }
    assertTrue(taught.size() >= 3, "taught " + taught);
    assertTrue(recalled(state, kept), "'" + kept.sentence() + "' is still stated after " + taught.size() + " later teaches");
    assertTrue(everWrittenAgain, "these teaches displace it (each one did, before the wake weighed consolidated facts)");
  }

  /** The state's edits baked into a new fused checkpoint, every fact of the table at stage 3 (what promoted sleeps leave). */
  private static MemoryState consolidatedInto(Path fusedDir, MemoryState s) throws Exception {
    try (ComposedModel m = s.load(Device.cpu())) {
      Fuse.saveCandidate(fusedDir, m.runtime().config(), m.model().toHost(DType.F32), s.fusedCheckpoint());
    }
    List<FactStageTable.Entry> atThree = new ArrayList<>();
    for (FactStageTable.Entry e : s.stages().entries()) atThree.add(new FactStageTable.Entry(e.fact(), e.editId(), FactStage.CONSOLIDATED));
    return new MemoryState(fusedDir, s.generation() + 1, s.edits(), FactStageTable.of(atThree));
  }

  private static boolean recalled(MemoryState s, Fact f) {
    try (ComposedModel m = s.load(Device.cpu())) {
      return new RecallProbe(m.runtime(), 8).rawRecall(f);
    }
  }
}
