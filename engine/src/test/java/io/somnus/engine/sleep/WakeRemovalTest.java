package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exact removal of facts held by a batch MEMIT edit, on the somnus-tiny test model. */
class WakeRemovalTest {
  @TempDir Path dir;

  @Test
  void removingOneFactOfABatchEditGivesBackTheBaseAnswerAndKeepsItsOtherFactsAtTheirStage() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path base = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    List<String> texts = world.referenceTexts(20);
    Path cache = dir.resolve("cache");
    Device cpu = Device.cpu();
    List<Fact> facts = world.heldOutFacts().subList(0, 4).stream().map(WorldFact::fact).toList();
    MemoryState empty = new MemoryState(base, 0, List.of(), FactStageTable.empty());
    List<String> baseAnswers = answers(empty, facts);

    WakeWrite.Result w = WakeWrite.write(empty, facts, texts, cache, cpu);
    assertTrue(w.written().size() >= 3, "skipped: " + w.skipped());
    assertEquals(1, w.state().edits().size(), "one batch edit holds them all");
    Fact gone = w.written().get(0);
    List<Fact> rest = w.written().subList(1, w.written().size());
    assertTrue(recalled(w.state(), gone), "written first");

    WakeRemoval.Result r = WakeRemoval.remove(w.state(), List.of(gone), texts, cache, cpu);
    assertEquals(List.of(gone), r.removed());
    assertEquals(java.util.Set.of(w.edit().id()), r.replacedEditIds());
    assertEquals(1, r.resolved().size(), "the other facts are solved again as one edit");
    assertTrue(r.notKept().isEmpty(), r.notKept().toString());
    MemoryState after = r.state();
    assertFalse(after.stages().entry(gone).isPresent(), "the removed fact leaves the table");
    assertFalse(after.edits().stream().anyMatch(e -> e.id().equals(w.edit().id())), "its edit is gone");
    for (Fact f : rest) assertEquals(FactStage.WAKE, after.stages().stage(f));
    assertEquals(Map.of(r.resolved().get(0).id(), 1f), after.scales());
    int gi = facts.indexOf(gone);
    assertEquals(baseAnswers.get(gi), answers(after, List.of(gone)).get(0), "the prompt answers as the base model did");
    for (Fact f : rest) assertTrue(recalled(after, f), "kept: " + f.sentence());

    // Past stage 0 the re-solved edit keeps the stage and its scale, and still writes the other facts at that scale.
    List<FactStageTable.Entry> atOne = new ArrayList<>();
    for (FactStageTable.Entry e : w.state().stages().entries()) atOne.add(new FactStageTable.Entry(e.fact(), e.editId(), FactStage.CONSOLIDATING));
    MemoryState consolidating = new MemoryState(base, 0, w.state().edits(), FactStageTable.of(atOne));
    WakeRemoval.Result r1 = WakeRemoval.remove(consolidating, List.of(gone), texts, cache, cpu);
    MemitEdit resolved = r1.resolved().get(0);
    assertEquals(0.5f, r1.state().scales().get(resolved.id()));
    for (Fact f : rest) {
      assertEquals(FactStage.CONSOLIDATING, r1.state().stages().stage(f));
      assertTrue(recalled(r1.state(), f), "kept at scale 0.5: " + f.sentence());
    }

    List<FactStageTable.Entry> atThree = new ArrayList<>();
    for (FactStageTable.Entry e : w.state().stages().entries()) atThree.add(new FactStageTable.Entry(e.fact(), e.editId(), FactStage.CONSOLIDATED));
    // At stage 3 an edit kept for its other facts still carries the fact: it goes with the edit (the others are
    // consolidated, so nothing is solved again), and no later repair that merges the edit can write it back.
    MemoryState consolidated = new MemoryState(base, 0, w.state().edits(), FactStageTable.of(atThree));
    WakeRemoval.Result r3 = WakeRemoval.remove(consolidated, List.of(gone), texts, cache, cpu);
    assertTrue(r3.state().stages().entry(gone).isEmpty());
    assertTrue(r3.state().edits().stream().noneMatch(ed -> ed.facts().contains(gone)), "no edit carries it any more");
    // with its edit dissolved, the fused weights alone hold it
    MemoryState dissolved = new MemoryState(base, 0, List.of(), FactStageTable.of(atThree));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WakeRemoval.remove(dissolved, List.of(gone), texts, cache, cpu));
    assertTrue(e.getMessage().contains("only a sleep can unlearn it"), e.getMessage());
    Fact stranger = new Fact("Nobody Known", "lives in", "Oslo");
    assertThrows(IllegalArgumentException.class, () -> WakeRemoval.remove(w.state(), List.of(stranger), texts, cache, cpu));
  }

  private static List<String> answers(MemoryState s, List<Fact> facts) {
    try (ComposedModel m = s.load(Device.cpu())) {
      RecallProbe p = new RecallProbe(m.runtime(), 4);
      return facts.stream().map(f -> p.complete(f.prompt())).toList();
    }
  }

  private static boolean recalled(MemoryState s, Fact f) {
    try (ComposedModel m = s.load(Device.cpu())) {
      return new RecallProbe(m.runtime(), 8).rawRecall(f);
    }
  }
}
