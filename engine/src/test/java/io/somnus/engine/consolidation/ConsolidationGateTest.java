package io.somnus.engine.consolidation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConsolidationGateTest {
  static final Fact A = new Fact("Ana Reyes", "lives in", "Lisbon");
  static final Fact B = new Fact("Ben Ode", "works as", "baker");
  static final Fact C = new Fact("Cy Lund", "plays the", "cello");

  /** A probe that recalls a fixed set of facts and records which edit each call switched off. */
  static ConsolidationGate.Probe recalling(Set<Fact> known, List<String> calls) {
    return (editId, facts) -> {
      calls.add(editId + ":" + facts.size());
      Map<Fact, Boolean> out = new HashMap<>();
      for (Fact f : facts) out.put(f, known.contains(f));
      return out;
    };
  }

  @Test
  void recalledFactsAdvanceMissedOnesBackOffAndTheEditFollowsItsLeastConsolidatedFact() {
    FactStageTable t = FactStageTable.empty().withEdit("e1", List.of(A, B)).withEdit("e2", List.of(C));
    assertEquals(Map.of("e1", 1.0f, "e2", 1.0f), t.editScales());
    List<String> calls = new ArrayList<>();
    ConsolidationGate.Result r1 = ConsolidationGate.apply(t, recalling(Set.of(A, C), calls));
    assertEquals(List.of("e1:2", "e2:1"), calls, "one probe per edit, with that edit off");
    assertEquals(FactStage.CONSOLIDATING, r1.table().row(A).stage());
    assertEquals(FactStage.WAKE, r1.table().row(B).stage(), "stage 0 cannot back off further");
    assertEquals(0.5f, r1.table().editScales().get("e2"));
    assertEquals(1.0f, r1.table().editScales().get("e1"), "B at stage 0 keeps e1 at full scale");
    assertEquals(2, r1.advanced());
    assertEquals(FactStage.WAKE, t.row(A).stage(), "the input table is unchanged");

    FactStageTable t2 = ConsolidationGate.apply(ConsolidationGate.apply(r1.table(), recalling(Set.of(A, B, C), new ArrayList<>())).table(),
        recalling(Set.of(A, B, C), new ArrayList<>())).table();
    assertEquals(FactStage.CONSOLIDATED, t2.row(A).stage());
    assertEquals(FactStage.NEARLY_CONSOLIDATED, t2.row(B).stage());
    assertEquals(0.1f, t2.editScales().get("e1"));
    assertEquals(List.of("e2"), t2.dissolvedEdits(), "an edit whose facts are all at stage 3 dissolves");

    List<String> later = new ArrayList<>();
    ConsolidationGate.Result r4 = ConsolidationGate.apply(t2, recalling(Set.of(), later));
    assertEquals(List.of("e1:1"), later, "stage-3 facts are not gated again");
    assertEquals(FactStage.CONSOLIDATING, r4.table().row(B).stage(), "a miss steps back one stage, not to zero");
    assertEquals(0.5f, r4.table().editScales().get("e1"));
    assertEquals(Boolean.FALSE, r4.table().row(B).lastRecall());
    assertEquals(1, r4.backedOff());
  }

  @Test
  void aProbeThatForgetsAFactAndDuplicateFactsAreErrors() {
    FactStageTable t = FactStageTable.empty().withEdit("e1", List.of(A, B));
    assertThrows(IllegalStateException.class, () -> ConsolidationGate.apply(t, (id, facts) -> Map.of(A, true)));
    assertThrows(IllegalArgumentException.class, () -> t.withEdit("e2", List.of(B)));
  }
}
