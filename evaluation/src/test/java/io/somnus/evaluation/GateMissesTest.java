package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GateMissesTest {
  static final Fact KIRA_C = new Fact("Kira Castellano", "works at", "Sunpeak Bank");
  static final Fact KIRA_J = new Fact("Kira Jaramillo", "works at", "Oakridge Energy");
  static final Fact OSCAR = new Fact("Oscar Szabo", "lives in", "Lima");
  static final Fact CLARA = new Fact("Clara Drummond", "lives in", "Aarhus");

  @Test
  void aPromotedSleepsMissesAreTheFactsItLeftWhereTheyWereWithSharedFirstNamesMarked() {
    List<Fact> facts = List.of(KIRA_C, KIRA_J, OSCAR, CLARA);
    MemitEdit edit = new MemitEdit("e", facts, List.of(new LayerDelta("w", 1, 1, 1, new float[] {1}, new float[] {1})));
    FactStageTable before = FactStageTable.of(List.of(edit));
    FactStageTable after = before.afterGate(Map.of(KIRA_C.id(), false, KIRA_J.id(), true, OSCAR.id(), false, CLARA.id(), false)).table();
    List<ConsolidationSweepExperiment.GateMiss> misses = ConsolidationSweepExperiment.gateMisses(facts, before, after,
        Set.of("Kira"));
    assertEquals(List.of(new ConsolidationSweepExperiment.GateMiss(KIRA_C.sentence(), 0, true),
        new ConsolidationSweepExperiment.GateMiss(OSCAR.sentence(), 0, false),
        new ConsolidationSweepExperiment.GateMiss(CLARA.sentence(), 0, false)), misses);

    // A fact at stage 3 is not probed any more, so staying there is no miss.
    FactStageTable done = after;
    for (int i = 0; i < 3; i++) done = done.afterGate(Map.of(KIRA_J.id(), true)).table();
    assertTrue(ConsolidationSweepExperiment.gateMisses(List.of(KIRA_J), done, done, Set.of()).isEmpty());
    assertEquals("Oscar", ConsolidationSweepExperiment.firstName("Oscar Szabo"));
    assertEquals("Cher", ConsolidationSweepExperiment.firstName("Cher"));
  }
}
