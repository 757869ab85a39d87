package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FactStageTableTest {
  static final Fact A = new Fact("Ana", "lives in", "Oslo");
  static final Fact B = new Fact("Ben", "works as", "pilot");
  static final Fact C = new Fact("Cleo", "plays the", "harp");

  static MemitEdit edit(String id, Fact... facts) {
    return new MemitEdit(id, List.of(facts), List.of(new LayerDelta("w", 1, 1, 1, new float[] {1}, new float[] {1})));
  }

  @Test
  void passesAdvanceOneStageAFailStepsBackOneAndUnprobedFactsStay() {
    MemitEdit e1 = edit("e1", A, B);
    MemitEdit e2 = edit("e2", C);
    FactStageTable t = FactStageTable.of(List.of(e1, e2));
    assertArrayEquals(new int[] {3, 0, 0, 0}, t.countByStage());

    FactStageTable.Transition t1 = t.afterGate(Map.of(A.id(), true, B.id(), true));
    assertEquals(FactStage.CONSOLIDATING, t1.table().stage(A));
    assertEquals(FactStage.WAKE, t1.table().stage(C), "unprobed fact keeps its stage");
    assertEquals(2, t1.advanced());
    assertEquals(FactStage.WAKE, t.stage(A), "tables are immutable");

    FactStageTable t2 = t1.table().afterGate(Map.of(A.id(), true, B.id(), false)).table();
    assertEquals(FactStage.NEARLY_CONSOLIDATED, t2.stage(A));
    assertEquals(FactStage.WAKE, t2.stage(B), "a fail steps back one stage");
    FactStageTable t3 = t2.afterGate(Map.of(A.id(), true)).table().afterGate(Map.of(A.id(), true)).table();
    assertEquals(FactStage.CONSOLIDATED, t3.stage(A), "stage 3 is the ceiling");
    FactStageTable.Transition back = t3.afterGate(Map.of(A.id(), false, C.id(), false));
    assertEquals(FactStage.NEARLY_CONSOLIDATED, back.table().stage(A));
    assertEquals(1, back.retreated(), "a fail at stage 0 is no change");
  }

  @Test
  void anEditsScaleFollowsItsLeastConsolidatedFactAndStageThreeDissolves() {
    MemitEdit e1 = edit("e1", A, B);
    FactStageTable t = FactStageTable.of(List.of(e1));
    assertEquals(1.0f, t.scale(e1));
    t = t.afterGate(Map.of(A.id(), true, B.id(), true)).table();
    assertEquals(0.5f, t.scale(e1));
    t = t.afterGate(Map.of(A.id(), true, B.id(), false)).table();
    assertEquals(FactStage.NEARLY_CONSOLIDATED, t.stage(A));
    assertEquals(1.0f, t.scale(e1), "B is back at stage 0, so the edit is at full scale");
    t = t.afterGate(Map.of(A.id(), true, B.id(), true)).table().afterGate(Map.of(B.id(), true)).table()
        .afterGate(Map.of(B.id(), true)).table();
    assertEquals(FactStage.CONSOLIDATED, t.stage(B));
    assertEquals(0.0f, t.scale(e1));
    assertTrue(t.dissolved(e1));
    assertEquals(Map.of("e1", 0.0f), t.scales(List.of(e1)));
  }

  @Test
  void aReinjectedFactRestartsUnderItsNewEditAndNoLongerHoldsTheOldOneAtFullScale() {
    MemitEdit e1 = edit("e1", A, B);
    FactStageTable t = FactStageTable.of(List.of(e1)).afterGate(Map.of(A.id(), true, B.id(), true)).table();
    MemitEdit e2 = edit("e2", B);
    t = t.withEdit(e2);
    assertEquals(FactStage.WAKE, t.stage(B));
    assertEquals(0.5f, t.scale(e1), "e1 now answers only for A");
    assertEquals(1.0f, t.scale(e2));
    assertEquals(List.of(A), t.factsOf(e1), "B belongs to the edit that re-wrote it");
    assertEquals(List.of(B), t.factsOf(e2));
    assertThrows(IllegalArgumentException.class, () -> FactStageTable.empty().afterGate(Map.of(C.id(), true)));
    assertThrows(IllegalArgumentException.class, () -> FactStageTable.empty().stage(C));
  }

  @Test
  void anEditThatReplacesOthersKeepsTheirFactsStagesAndStartsItsNewFactsAtZero() {
    MemitEdit e1 = edit("e1", A);
    MemitEdit e2 = edit("e2", B);
    FactStageTable t = FactStageTable.of(List.of(e1, e2)).afterGate(Map.of(A.id(), true)).table();
    assertEquals(FactStage.ofLevel(1), t.stage(A));
    // A repair tops up B (displaced) and merges it with e2; C arrives with it.
    MemitEdit merged = edit("e3", B, C);
    t = t.withEditReplacing(merged, List.of("e2"));
    assertEquals(FactStage.WAKE, t.stage(B));
    assertEquals(FactStage.WAKE, t.stage(C));
    assertEquals(FactStage.ofLevel(1), t.stage(A), "facts of other edits untouched");
    // A fact of a replaced edit keeps its stage under the merged edit.
    MemitEdit mergedA = edit("e4", A);
    t = t.withEditReplacing(mergedA, List.of("e1"));
    assertEquals(FactStage.ofLevel(1), t.stage(A));
    assertEquals("e4", t.entries().stream().filter(e -> e.fact().equals(A)).findFirst().orElseThrow().editId());
    // A fact the table attributes to an edit that was not replaced restarts, as withEdit does.
    t = t.withEditReplacing(edit("e5", A), List.of("e1"));
    assertEquals(FactStage.WAKE, t.stage(A));
  }
}
