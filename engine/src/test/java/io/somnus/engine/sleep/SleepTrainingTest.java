package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.somnus.engine.memory.MemitEdit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SleepTrainingTest {
  @Test
  void theSecondWeightStateIsTheScalesTheGateGivesWhenEveryFactPasses() {
    MemitEdit fresh = FactStageTableTest.edit("e1", FactStageTableTest.A, FactStageTableTest.B);
    MemitEdit older = FactStageTableTest.edit("e2", FactStageTableTest.C);
    FactStageTable stages = FactStageTable.of(List.of(fresh, older))
        .afterGate(Map.of(FactStageTableTest.C.id(), true)).table()
        .afterGate(Map.of(FactStageTableTest.C.id(), true)).table();
    MemoryState state = new MemoryState(Path.of("unused"), 2, List.of(fresh, older), stages);
    assertEquals(Map.of("e1", 1.0f, "e2", 0.1f), state.scales());
    // One stage on for every fact: the fresh edit halves, the nearly consolidated one dissolves.
    assertEquals(Map.of("e1", 0.5f, "e2", 0.0f), SleepTraining.scalesAfterAllPass(state));
    assertEquals(state.scales(), Map.of("e1", 1.0f, "e2", 0.1f), "the state itself is unchanged");
  }
}
