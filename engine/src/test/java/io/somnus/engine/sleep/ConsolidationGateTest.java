package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate on a real candidate: which facts it asks, with which edit switched off, and what the
 * candidate's scales are afterwards. Whether a random model happens to recall a fact does not
 * matter here; every stage move is checked against the recall the gate reports.
 */
class ConsolidationGateTest {
  @TempDir static Path dir;
  static Path base;

  @BeforeAll
  static void setUp() throws Exception {
    base = SleepFixtures.checkpoint(dir, 51);
  }

  @Test
  void eachFactIsAskedWithOnlyItsOwnEditOffAndTheCandidateEndsAtTheScalesOfTheNewStages() {
    Fact f0 = SleepFixtures.FACTS.get(0);
    Fact f1 = SleepFixtures.FACTS.get(1);
    Fact f2 = SleepFixtures.FACTS.get(2);
    Fact f3 = SleepFixtures.FACTS.get(3);
    MemitEdit e1 = SleepCycleTest.randomEdit("e1", List.of(f0, f1), 1);
    // e2 re-writes f1: from now on f1 is gated with e2, not e1.
    MemitEdit e2 = SleepCycleTest.randomEdit("e2", List.of(f2, f1), 2);
    MemitEdit e3 = SleepCycleTest.randomEdit("e3", List.of(f3), 3);
    List<MemitEdit> edits = List.of(e1, e2, e3);
    FactStageTable table = FactStageTable.of(List.of(
        new FactStageTable.Entry(f0, "e1", FactStage.NEARLY_CONSOLIDATED),
        new FactStageTable.Entry(f1, "e2", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(f2, "e2", FactStage.WAKE),
        new FactStageTable.Entry(f3, "e3", FactStage.CONSOLIDATED)));
    Map<String, Float> before = table.scales(edits);
    assertEquals(Map.of("e1", 0.1f, "e2", 1.0f, "e3", 0.0f), before);

    ComposedModel[] candidate = new ComposedModel[1];
    Map<String, Map<String, Float>> scalesWhenAsked = new LinkedHashMap<>();
    List<String> asked = new ArrayList<>();
    FactQuestions recording = new FactQuestions() {
      @Override
      public List<String> questions(Fact fact) {
        return SleepFixtures.QUESTIONS.questions(fact);
      }

      @Override
      public String canonical(Fact fact) {
        asked.add(fact.id());
        scalesWhenAsked.put(fact.id(), candidate[0].scales());
        return SleepFixtures.QUESTIONS.canonical(fact);
      }
    };

    try (ComposedModel m = ComposedModel.load(base, edits, before, Device.cpu())) {
      candidate[0] = m;
      ConsolidationGate.Result r = new ConsolidationGate(new FactRecall(recording, 4)).run(m, table);

      assertEquals(List.of(f0.id(), f2.id(), f1.id()), asked, "one probe per gated fact, edit by edit; e3 is dissolved");
      assertEquals(Map.of("e1", 0.0f, "e2", 1.0f, "e3", 0.0f), scalesWhenAsked.get(f0.id()), "only e1 is off for its fact");
      assertEquals(Map.of("e1", 0.1f, "e2", 0.0f, "e3", 0.0f), scalesWhenAsked.get(f2.id()), "only e2 is off for its facts");
      assertEquals(Map.of("e1", 0.1f, "e2", 0.0f, "e3", 0.0f), scalesWhenAsked.get(f1.id()), "a re-written fact is gated with its new edit");
      assertEquals(List.of(f0.id(), f2.id(), f1.id()), new ArrayList<>(r.passed().keySet()));

      for (Fact f : List.of(f0, f1, f2)) {
        FactStage from = table.stage(f);
        FactStage expected = r.passed().get(f.id()) ? from.advance() : from.backOff();
        assertEquals(expected, r.table().stage(f), "a recalled fact advances one stage, a missed one steps back one: " + f);
      }
      assertEquals(FactStage.CONSOLIDATED, r.table().stage(f3), "facts of a dissolved edit are not gated again");
      assertEquals(FactStage.NEARLY_CONSOLIDATED, table.stage(f0), "the input table is unchanged");

      assertEquals(r.table().scales(edits), r.scales(), "each edit follows its least consolidated fact");
      assertEquals(r.scales(), m.scales(), "the candidate is left at the new scales");
      try (ComposedModel fresh = ComposedModel.load(base, edits, r.scales(), Device.cpu())) {
        String w = e1.deltas().get(0).weightName();
        assertArrayEquals(fresh.model().weight(w).toFloatArray(), m.model().weight(w).toFloatArray(),
            "switching edits off and on during the gate leaves no trace in the weights");
      }
    }
  }
}
