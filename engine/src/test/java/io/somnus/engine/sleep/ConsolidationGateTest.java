package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;
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
    MemitEdit e1 = SleepFixtures.randomEdit("e1", List.of(f0, f1), 1);
    // e2 re-writes f1: from now on f1 is gated with e2, not e1.
    MemitEdit e2 = SleepFixtures.randomEdit("e2", List.of(f2, f1), 2);
    MemitEdit e3 = SleepFixtures.randomEdit("e3", List.of(f3), 3);
    List<MemitEdit> edits = List.of(e1, e2, e3);
    FactStageTable table = FactStageTable.of(List.of(
        new FactStageTable.Entry(f0, "e1", FactStage.NEARLY_CONSOLIDATED),
        new FactStageTable.Entry(f1, "e2", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(f2, "e2", FactStage.WAKE),
        new FactStageTable.Entry(f3, "e3", FactStage.CONSOLIDATED)));
    Map<String, Float> before = table.scales(edits);
    assertEquals(Map.of("e1", 0.1f, "e2", 1.0f, "e3", 0.0f), before);

    ComposedModel[] candidate = new ComposedModel[1];
    record Ask(String fact, Map<String, Float> scales) {}
    List<Ask> asks = new ArrayList<>();
    FactQuestions recording = new FactQuestions() {
      @Override
      public List<String> questions(Fact fact) {
        return SleepFixtures.QUESTIONS.questions(fact);
      }

      @Override
      public String canonical(Fact fact) {
        asks.add(new Ask(fact.id(), candidate[0].scales()));
        return SleepFixtures.QUESTIONS.canonical(fact);
      }
    };

    try (ComposedModel m = ComposedModel.load(base, edits, before, Device.cpu())) {
      candidate[0] = m;
      ConsolidationGate.Result r = new ConsolidationGate(new FactRecall(recording, 4)).run(m, table);

      // Every ask is one of three: the fact's edit off, every edit at its current scale, or the fact's edit made
      // stronger (the scale a step back would give it).
      Predicate<Ask> isOff = a -> a.scales().entrySet().stream()
          .anyMatch(x -> x.getValue() == 0f && before.get(x.getKey()) > 0f);
      List<Ask> off = asks.stream().filter(isOff).toList();
      assertEquals(List.of(f0.id(), f2.id(), f1.id()), off.stream().map(Ask::fact).toList(),
          "one probe per gated fact with its edit off, edit by edit; e3 is dissolved");
      assertEquals(Map.of("e1", 0.0f, "e2", 1.0f, "e3", 0.0f), off.get(0).scales(), "only e1 is off for its fact");
      assertEquals(Map.of("e1", 0.1f, "e2", 0.0f, "e3", 0.0f), off.get(1).scales(), "only e2 is off for its facts");
      assertEquals(Map.of("e1", 0.1f, "e2", 0.0f, "e3", 0.0f), off.get(2).scales(), "a re-written fact is gated with its new edit");
      assertEquals(List.of(f0.id(), f2.id(), f1.id()), new ArrayList<>(r.passed().keySet()));
      List<String> reasked = asks.stream().filter(a -> a.scales().equals(before)).map(Ask::fact).toList();
      List<String> missed = r.passed().entrySet().stream().filter(x -> !x.getValue()).map(Map.Entry::getKey).toList();
      assertEquals(missed, reasked, "exactly the missed facts are asked again, with every edit at its current scale");
      List<Ask> stronger = asks.stream().filter(a -> !isOff.test(a) && !a.scales().equals(before)).toList();
      for (Ask a : stronger) {
        assertEquals(f0.id(), a.fact(), "only e1 (0.1) can get stronger; e2 is at 1.0 already");
        assertEquals(Map.of("e1", 0.5f, "e2", 1.0f, "e3", 0.0f), a.scales(), "e1 at the scale of f0's stage after a step back");
      }
      assertTrue(missed.containsAll(r.held()), "only a missed fact can hold its stage");

      for (Fact f : List.of(f0, f1, f2)) {
        FactStage from = table.stage(f);
        FactStage expected = r.passed().get(f.id()) ? from.advance() : r.held().contains(f.id()) ? from : from.backOff();
        assertEquals(expected, r.table().stage(f),
            "recalled without its edit: one stage on; only with it: held; not at all: one stage back: " + f);
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

  @Test
  void aMissedFactStepsBackOnlyWhenAStrongerEditBringsItBack() {
    Fact held = SleepFixtures.FACTS.get(0);
    Fact advanced = SleepFixtures.FACTS.get(1);
    Fact restored = SleepFixtures.FACTS.get(2);
    Fact lost = SleepFixtures.FACTS.get(3);
    MemitEdit e1 = SleepFixtures.randomEdit("e1", List.of(held, advanced), 1);
    MemitEdit e2 = SleepFixtures.randomEdit("e2", List.of(restored), 2);
    MemitEdit e3 = SleepFixtures.randomEdit("e3", List.of(lost), 3);
    List<MemitEdit> edits = List.of(e1, e2, e3);
    FactStageTable table = FactStageTable.of(List.of(
        new FactStageTable.Entry(held, "e1", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(advanced, "e1", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(restored, "e2", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(lost, "e3", FactStage.CONSOLIDATING)));
    Map<String, Float> before = table.scales(edits);
    try (ComposedModel m = ComposedModel.load(base, edits, before, Device.cpu())) {
      // Scripted recall: "advanced" without its edit, "held" with e1 at its scale, "restored" only with e2 at full
      // strength, "lost" never.
      ConsolidationGate.Result r = new ConsolidationGate((rt, f) -> f.equals(advanced) || f.equals(held) && m.scale("e1") > 0
          || f.equals(restored) && m.scale("e2") >= 1f, (rt, f) -> true).run(m, table);
      assertEquals(Map.of(held.id(), false, advanced.id(), true, restored.id(), false, lost.id(), false), r.passed());
      assertEquals(Set.of(held.id(), lost.id()), r.held());
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(held), "recalled with its edit: holds");
      assertEquals(FactStage.NEARLY_CONSOLIDATED, r.table().stage(advanced));
      assertEquals(FactStage.WAKE, r.table().stage(restored), "brought back by a stronger edit: steps back");
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(lost), "not brought back by a stronger edit: holds");
      assertEquals(Map.of("e1", 0.5f, "e2", 1.0f, "e3", 0.5f), r.scales(),
          "e1 and e3 keep the scale the adapters were trained at; only e2 gets stronger");
      assertEquals(1, r.transition().advanced());
      assertEquals(1, r.transition().retreated());
    }
  }

  @Test
  void anEditKeepsItsScaleWhenTheLowerOneLosesARawCompletionOrAChatAnswerItCarried() {
    Fact rawOnly = SleepFixtures.FACTS.get(0);
    Fact partner = SleepFixtures.FACTS.get(1);
    Fact free = SleepFixtures.FACTS.get(2);
    Fact fresh = SleepFixtures.FACTS.get(3);
    // Gating asks a scripted predicate, never the model, so a fact outside the fixtures' questions will do.
    Fact carried = new Fact("Ada Lind", "lives in", "Bergen");
    MemitEdit e1 = SleepFixtures.randomEdit("e1", List.of(rawOnly, partner), 1);
    MemitEdit e2 = SleepFixtures.randomEdit("e2", List.of(free), 2);
    MemitEdit e3 = SleepFixtures.randomEdit("e3", List.of(fresh, carried), 3);
    List<MemitEdit> edits = List.of(e1, e2, e3);
    FactStageTable table = FactStageTable.of(List.of(
        new FactStageTable.Entry(rawOnly, "e1", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(partner, "e1", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(free, "e2", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(fresh, "e3", FactStage.WAKE),
        new FactStageTable.Entry(carried, "e3", FactStage.CONSOLIDATING)));
    Map<String, Float> before = table.scales(edits);
    assertEquals(Map.of("e1", 0.5f, "e2", 0.5f, "e3", 1.0f), before);
    try (ComposedModel m = ComposedModel.load(base, edits, before, Device.cpu())) {
      // Chat: every fact without its edit except "carried", which needs e3 at full strength. Raw: every fact at any
      // scale except "rawOnly", which needs e1 at 0.5 or more.
      ConsolidationGate.Result r = new ConsolidationGate(
          (rt, f) -> !f.equals(carried) || m.scale("e3") >= 1f,
          (rt, f) -> !f.equals(rawOnly) || m.scale("e1") >= 0.5f).run(m, table);
      assertEquals(Map.of(rawOnly.id(), true, partner.id(), true, free.id(), true, fresh.id(), true, carried.id(), false),
          r.passed());
      assertEquals(Set.of("e1", "e3"), r.keptScale(), "e2's fact keeps its answers at 0.1; e1's and e3's would not");
      assertEquals(Set.of(rawOnly.id(), partner.id(), fresh.id(), carried.id()), r.held());
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(rawOnly), "its raw completion needs e1 at 0.5: holds");
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(partner), "advancing it alone would lower e1 too: holds");
      assertEquals(FactStage.NEARLY_CONSOLIDATED, r.table().stage(free));
      assertEquals(FactStage.WAKE, r.table().stage(fresh), "advancing it would take e3, which carries 'carried', to 0.5");
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(carried));
      assertEquals(Map.of("e1", 0.5f, "e2", 0.1f, "e3", 1.0f), r.scales());
      assertEquals(r.scales(), m.scales(), "the candidate is left at the new scales");
      assertEquals(1, r.transition().advanced());
    }
  }

  @Test
  void movingOneEditMayNotCostTheRawCompletionOfAFactUnderAnother() {
    Fact older = SleepFixtures.FACTS.get(0);
    Fact newer = SleepFixtures.FACTS.get(1);
    // Lowered: "older" passes without e1, but "newer" (e2 was solved on top of e1 at 0.5) needs e1 at 0.5 or more.
    ConsolidationGate.Result lowered = gateTwoWaves(older, newer, m -> (rt, f) -> true,
        m -> (rt, f) -> !f.equals(newer) || m.scale("e1") >= 0.5f);
    // Raised: "older" comes back only with e1 at full strength (the wave-1 fact a wave-2 wake write overwrote, traced
    // in the lifetime run), and "newer" needs e1 at exactly 0.5.
    ConsolidationGate.Result raised = gateTwoWaves(older, newer, m -> (rt, f) -> f.equals(newer) || m.scale("e1") >= 1f,
        m -> (rt, f) -> !f.equals(newer) || m.scale("e1") == 0.5f);
    for (ConsolidationGate.Result r : List.of(lowered, raised)) {
      assertEquals(Set.of("e1"), r.keptScale());
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(older), "moving e1 would cost 'newer': holds");
      assertEquals(FactStage.CONSOLIDATING, r.table().stage(newer), "e2's own lowering costs nothing");
      assertEquals(Map.of("e1", 0.5f, "e2", 0.5f), r.scales());
    }
  }

  /** The gate on {@code older} at stage 1 under e1 and {@code newer} at stage 0 under e2, with scripted recall. */
  private static ConsolidationGate.Result gateTwoWaves(Fact older, Fact newer,
      Function<ComposedModel, BiPredicate<ModelRuntime, Fact>> chat, Function<ComposedModel, BiPredicate<ModelRuntime, Fact>> raw) {
    List<MemitEdit> edits = List.of(SleepFixtures.randomEdit("e1", List.of(older), 1),
        SleepFixtures.randomEdit("e2", List.of(newer), 2));
    FactStageTable table = FactStageTable.of(List.of(
        new FactStageTable.Entry(older, "e1", FactStage.CONSOLIDATING),
        new FactStageTable.Entry(newer, "e2", FactStage.WAKE)));
    try (ComposedModel m = ComposedModel.load(base, edits, table.scales(edits), Device.cpu())) {
      return new ConsolidationGate(chat.apply(m), raw.apply(m)).run(m, table);
    }
  }
}
