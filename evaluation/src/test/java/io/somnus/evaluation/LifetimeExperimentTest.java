package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.FactStageTable.Entry;
import io.somnus.engine.sleep.MemoryState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifetimeExperimentTest {
  static final Fact A = new Fact("Ana", "lives in", "Oslo");
  static final Fact B = new Fact("Ben", "works as", "pilot");
  static final Fact C = new Fact("Cleo", "plays the", "harp");
  static final Fact D = new Fact("Dev", "enjoys", "chess");

  static MemitEdit edit(String id, Fact... facts) {
    return new MemitEdit(id, List.of(facts), List.of(new LayerDelta("w", 1, 1, 1, new float[] {1}, new float[] {1})));
  }

  @Test
  void anActiveEditIsCountedAtTheScaleOfItsLeastConsolidatedFact() {
    MemitEdit fresh = edit("fresh", A);
    MemitEdit halfway = edit("halfway", B, C);
    MemitEdit done = edit("done", D);
    FactStageTable table = FactStageTable.of(List.of(new Entry(A, "fresh", FactStage.WAKE),
        new Entry(B, "halfway", FactStage.CONSOLIDATING), new Entry(C, "halfway", FactStage.CONSOLIDATED),
        new Entry(D, "done", FactStage.CONSOLIDATED)));
    MemoryState state = new MemoryState(Path.of("unused"), 3, List.of(fresh, halfway, done), table);

    // scale 1.0 / 0.5 / 0.1; the dissolved edit is in none
    assertArrayEquals(new int[] {1, 1, 0}, LifetimeExperiment.activeEditsByScale(state));
  }

  @Test
  void perSeedCountsAverageByPosition() {
    assertEquals("1/0.5/2", LifetimeExperiment.meanSlashed(List.of(new int[] {1, 0, 2}, new int[] {1, 1, 2})));
    assertEquals("–", LifetimeExperiment.meanSlashed(List.of()));
  }
}
