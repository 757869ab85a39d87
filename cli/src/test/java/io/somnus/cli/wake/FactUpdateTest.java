package io.somnus.cli.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.store.EditArtifacts;
import io.somnus.store.EditRef;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.Lineage;
import io.somnus.store.ModelRegistry;
import io.somnus.store.NewVersion;
import io.somnus.store.VersionStates;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.model.DType;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.Fuse;
import io.somnus.engine.sleep.MemoryState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrections, updates, retractions and forgetting through the wake chat on the somnus-tiny test model: each stated fact
 * is classified against the live memory and the model's own answer, and an update takes the old value out exactly.
 */
class FactUpdateTest {
  @TempDir Path dir;

  @Test
  void anUpdateReplacesTheHeldValueAndAnUpdateBackRetractAndForgetEachLeaveTheOtherFactsRecalled() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "updates")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      try (WakeMemory memory = tiny.memory()) {
        PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
        int[] run = {0};
        // The test model guesses about people it never saw with up to p≈0.7 (it is barely trained): held values only here.
        FactClassifier heldOnly = new FactClassifier(FactClassifier.worldSingleValued(), 0.99);
        WakeChat chat = new WakeChat("somnus-tiny-test", memory, patterns, new GroundingFirewall(new HashSet<>(patterns.phrases())),
            heldOnly, () -> "wake-" + ++run[0], t -> {});

        // a person the model never saw, with a home and a job it can write (objects of the corpus: a held-out city is
        // one the test model cannot produce)
        List<String> cities = corpusObjects(world, "lives in");
        String person = world.heldOutFacts().get(0).fact().subject();
        Fact home = new Fact(person, "lives in", cities.get(0));
        Fact job = new Fact(person, "works as", corpusObjects(world, "works as").get(0));
        Fact other = new Fact(world.heldOutFacts().get(1).fact().subject(), "works at", corpusObjects(world, "works at").get(0));
        String newCity = cities.get(1);
        Fact moved = new Fact(person, "lives in", newCity);
        String baseAnswer = new RecallProbe(memory.runtime(), 4).complete(home.prompt());

        WakeChat.Learned first = chat.learn(home.sentence() + " " + job.sentence() + " " + other.sentence());
        assertEquals(List.of("NEW", "NEW", "NEW"), changes(first), first.classified().toString());
        assertEquals(3, first.taught().written().size(), first.notWritten().toString());
        String editOfThree = first.taught().editId();

        // "X moved to Y": an UPDATE of the held value, written as one new version with the old value taken out
        WakeChat.Learned update = chat.learn(person + " moved to " + newCity + ".");
        assertEquals(List.of("UPDATE"), changes(update), update.toString());
        FactClassifier.Classified c = update.classified().get(0);
        assertEquals(moved, c.fact());
        assertEquals(home, c.replaces());
        assertTrue(c.replacesHeld());
        WakeMemory.Taught t = update.taught();
        assertEquals(List.of(moved), t.written());
        assertEquals(List.of(new WakeMemory.Removal(home, FactRow.SUPERSEDED, moved)), t.removed());
        assertEquals(List.of(job, other), t.resolved(), "the old value's edit is solved again for its other facts");
        RecallProbe probe = new RecallProbe(memory.runtime(), 8);
        assertTrue(probe.rawRecall(moved), "the new value is recalled: " + update.taught() + " says " + probe.complete(moved.prompt()));
        assertFalse(probe.rawRecall(home), "the old value is not");
        assertTrue(probe.rawRecall(job) && probe.rawRecall(other), "the other facts of the old edit are kept");
        assertFalse(memory.facts().entry(home).isPresent());
        assertFalse(registry.version(t.versionId()).memitEdits().stream().anyMatch(e -> e.editId().equals(editOfThree)),
            "the edit that held the old value is gone from the new version");
        List<FactRow> rows = ledger.tableOfVersion(t.versionId()).orElseThrow();
        FactRow retired = row(rows, home).orElseThrow();
        assertEquals(FactRow.SUPERSEDED, retired.retired());
        assertEquals(moved.id(), retired.supersededBy());
        assertEquals(0.0, retired.rawRecall(), "the retired row records that the old value is no longer recalled");
        assertEquals(home.id(), row(rows, moved).orElseThrow().supersedes());
        Lineage lineage = new Lineage(registry, ledger, null, null);
        List<Lineage.FactEvent> history = lineage.factHistory(home.id());
        assertEquals(List.of("superseded by fact " + moved.id()), history.get(history.size() - 1).changes());

        // said again: a duplicate, nothing written
        String live = memory.liveVersionId();
        WakeChat.Learned again = chat.learn(person + " now lives in " + newCity + ".");
        assertEquals(List.of("DUPLICATE"), changes(again));
        assertNull(again.taught());
        assertEquals(live, memory.liveVersionId());

        // and back: the first value returns
        WakeChat.Learned back = chat.learn("Actually, " + home.sentence());
        assertEquals(List.of("UPDATE"), changes(back), back.toString());
        assertEquals(moved, back.classified().get(0).replaces());
        probe = new RecallProbe(memory.runtime(), 8);
        assertTrue(probe.rawRecall(home) && !probe.rawRecall(moved), "updated back");
        assertTrue(probe.rawRecall(job) && probe.rawRecall(other));

        // "no longer": the held fact is retracted, and the prompt answers as the base model did
        WakeChat.Learned retract = chat.learn(person + " no longer lives in " + home.object() + ".");
        assertEquals(List.of("RETRACT"), changes(retract), retract.toString());
        assertEquals(List.of(new WakeMemory.Removal(home, FactRow.RETRACTED, null)), retract.taught().removed());
        probe = new RecallProbe(memory.runtime(), 4);
        assertEquals(baseAnswer, probe.complete(home.prompt()), "nothing of the retracted value is left");
        assertTrue(new RecallProbe(memory.runtime(), 8).rawRecall(job));
        WakeChat.Learned nothing = chat.learn(person + " no longer lives in " + home.object() + ".");
        assertTrue(nothing.notWritten().stream().anyMatch(n -> n.contains("nothing to retract")), nothing.notWritten().toString());

        // forget: exact at stage 0
        WakeMemory.Taught forgot = memory.teach(List.of(), List.of(new WakeMemory.Removal(other, FactRow.FORGOTTEN, null)), "forget-1");
        assertFalse(new RecallProbe(memory.runtime(), 8).rawRecall(other));
        assertTrue(new RecallProbe(memory.runtime(), 8).rawRecall(job), "the subject's other fact is kept");
        assertEquals(FactRow.FORGOTTEN, row(ledger.tableOfVersion(forgot.versionId()).orElseThrow(), other).orElseThrow().retired());
        assertFalse(memory.facts().entry(other).isPresent());
        assertThrows(IllegalArgumentException.class,
            () -> memory.teach(List.of(), List.of(new WakeMemory.Removal(other, FactRow.FORGOTTEN, null)), "forget-2"),
            "a fact no longer held cannot be forgotten again");

        // a relation with several values takes one more instead of replacing
        Fact hobby = new Fact(person, "enjoys", "chess");
        FactClassifier.Plan plan = FactClassifier.forSyntheticWorld().classify(List.of(new Fact(person, "works as", "pilot"), hobby),
            List.of(), memory.facts(), memory.runtime());
        assertEquals("UPDATE", plan.classified().get(0).change().name());
        assertEquals(job, plan.classified().get(0).replaces());
        assertNotEquals("UPDATE", plan.classified().get(1).change().name());
      }
    }
  }

  @Test
  void anUpdateOfAValueTheBaseModelKnowsOverwritesItAndLeavesThePersonsOtherFacts() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "known")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      try (WakeMemory memory = tiny.memory()) {
        RecallProbe baseProbe = new RecallProbe(memory.runtime(), 8);
        // a person whose home and other facts the base model states confidently
        Fact known = null;
        List<Fact> others = List.of();
        for (WorldFact wf : world.knownFacts()) {
          Fact f = wf.fact();
          if (!f.relation().equals("lives in") || !baseProbe.rawRecall(f) || Math.exp(baseProbe.objectLogProbs(List.of(f))[0]) < FactClassifier.DEFAULT_CONFIDENCE) continue;
          others = world.knownFacts().stream().map(WorldFact::fact)
              .filter(o -> o.subject().equals(f.subject()) && !o.equals(f) && baseProbe.rawRecall(o)).toList();
          if (others.size() >= 2) {
            known = f;
            break;
          }
        }
        assertTrue(known != null, "the test model states some person's home and two more facts");
        Fact k = known;
        String city = corpusObjects(world, "lives in").stream().filter(o -> !o.equals(k.object())).findFirst().orElseThrow();
        Fact moved = new Fact(k.subject(), "lives in", city);
        PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
        WakeChat chat = new WakeChat("somnus-tiny-test", memory, patterns, new GroundingFirewall(new HashSet<>(patterns.phrases())),
            FactClassifier.forSyntheticWorld(), () -> "wake-1", t -> {});

        WakeChat.Learned same = chat.learn(k.sentence());
        assertEquals(List.of("DUPLICATE"), changes(same), "the model already says so: " + same);
        assertNull(same.taught());

        WakeChat.Learned update = chat.learn(k.subject() + " moved to " + city + ".");
        assertEquals(List.of("UPDATE"), changes(update), update.toString());
        FactClassifier.Classified c = update.classified().get(0);
        assertFalse(c.replacesHeld(), "the old value is the base model's own");
        assertEquals(k, c.replaces());
        assertTrue(c.note().contains("overwrites the model's own answer"), c.note());
        assertTrue(update.taught().removed().isEmpty(), "nothing held to take out: the new edit overwrites the base value");
        RecallProbe probe = new RecallProbe(memory.runtime(), 8);
        assertTrue(probe.rawRecall(moved), "the new value is recalled: " + update.taught() + " says " + probe.complete(moved.prompt()));
        assertFalse(probe.rawRecall(k), "the base value is not");
        for (Fact o : others) assertTrue(probe.rawRecall(o), "unchanged: " + o.sentence());
      }
    }
  }

  /**
   * A fact sleeps consolidated (stage 3) lives in the fused weights, where no edit can be taken out: forgetting it writes
   * the base model's answer in its place, so the model answers as it did before it was taught, and the ledger and
   * lineage say what replaced it; the other fact of its edit is kept. Taking the base model's answer out again is refused.
   */
  @Test
  void forgettingAConsolidatedFactWritesTheBaseModelsAnswerInItsPlace() throws Exception {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "forget-consolidated")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      String person = world.heldOutFacts().get(0).fact().subject();
      Fact job = new Fact(world.heldOutFacts().get(1).fact().subject(), "works as", corpusObjects(world, "works as").get(0));
      String baseAnswer;
      String taughtVersion;
      Fact home;
      try (WakeMemory memory = tiny.memory()) {
        baseAnswer = FactClassifier.rawAnswer(new RecallProbe(memory.runtime(), 12), new Fact(person, "lives in", "x")).orElseThrow();
        // a city the model can produce, other than the base model's guess about this person
        home = new Fact(person, "lives in", corpusObjects(world, "lives in").stream().filter(c -> !baseAnswer.startsWith(c)).findFirst().orElseThrow());
        WakeMemory.Taught t = memory.teach(List.of(home, job), "wake-1");
        assertEquals(List.of(home, job), t.written());
        taughtVersion = t.versionId();
      }
      // what promoted sleeps leave: the edit's facts in the fused weights, at stage 3, the edit dissolved
      VersionStates versions = new VersionStates(registry, ledger, dir.resolve("setup"));
      MemoryState taught = versions.state(taughtVersion);
      Path fused = dir.resolve("fused");
      try (ComposedModel m = taught.load(Device.cpu())) {
        Fuse.saveCandidate(fused, m.runtime().config(), m.model().toHost(DType.F32), taught.fusedCheckpoint());
      }
      // the home at stage 3, the job one stage behind, so their edit is kept at the job's scale (0.1) and still carries
      // the home: the forget must take it out of that edit too
      List<FactStageTable.Entry> slept = new ArrayList<>();
      for (FactStageTable.Entry e : taught.stages().entries()) {
        slept.add(new FactStageTable.Entry(e.fact(), e.editId(), e.fact().equals(home) ? FactStage.CONSOLIDATED : FactStage.NEARLY_CONSOLIDATED));
      }
      List<EditRef> kept = registry.version(taughtVersion).memitEdits().stream()
          .map(r -> new EditRef(r.editId(), r.key(), FactStage.NEARLY_CONSOLIDATED.memitScale())).toList();
      var sleptVersion = versions.register(new NewVersion(taughtVersion, fused, List.of(), kept, "sleep-1", Map.of()),
          FactStageTable.of(slept));
      registry.promote(sleptVersion.id(), "sleep-1");

      try (WakeMemory memory = tiny.memory()) {
        assertEquals(FactStage.CONSOLIDATED, memory.facts().stage(home));
        assertTrue(new RecallProbe(memory.runtime(), 8).rawRecall(home), "the fused weights state it");

        WakeMemory.Taught forgot = memory.teach(List.of(), List.of(new WakeMemory.Removal(home, FactRow.FORGOTTEN, null)), "forget-1");
        Fact restored = new Fact(home.subject(), home.relation(), baseAnswer);
        assertEquals(List.of(new WakeMemory.Removal(home, FactRow.FORGOTTEN, restored)), forgot.removed());
        assertTrue(forgot.removed().get(0).restoresBaseAnswer());
        RecallProbe probe = new RecallProbe(memory.runtime(), 8);
        assertFalse(probe.rawRecall(home), "forgotten: \"" + home.prompt() + "\" now gives " + probe.complete(home.prompt()));
        assertTrue(probe.rawRecall(restored), "answered as the base model did");
        assertTrue(probe.rawRecall(job), "the other fact of the edit is kept");
        assertFalse(memory.facts().entry(home).isPresent());
        assertTrue(registry.version(forgot.versionId()).memitEdits().stream()
                .noneMatch(r -> EditArtifacts.read(registry.store(), r.key()).facts().contains(home)),
            "no edit carries the forgotten fact, so no later repair can write it back");
        assertEquals(FactStage.WAKE, memory.facts().stage(restored), "the next sleeps consolidate the base model's answer");
        assertEquals(FactStage.NEARLY_CONSOLIDATED, memory.facts().stage(job));

        List<FactRow> rows = ledger.tableOfVersion(forgot.versionId()).orElseThrow();
        FactRow gone = row(rows, home).orElseThrow();
        assertEquals(FactRow.FORGOTTEN, gone.retired());
        assertEquals(restored.id(), gone.supersededBy());
        assertEquals(0.0, gone.rawRecall());
        assertEquals(home.id(), row(rows, restored).orElseThrow().supersedes());
        List<Lineage.FactEvent> history = new Lineage(registry, ledger, null, null).factHistory(home.id());
        assertEquals(List.of("forgotten, the base model's answer written in its place as fact " + restored.id()),
            history.get(history.size() - 1).changes());

        // taking the base model's answer out again would bring the forgotten fact back
        String live = memory.liveVersionId();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> memory.teach(List.of(), List.of(new WakeMemory.Removal(restored, FactRow.FORGOTTEN, null)), "forget-2"));
        assertTrue(refused.getMessage().contains("bring") && refused.getMessage().contains(home.id())
            && refused.getMessage().contains("Nothing was changed"), refused.getMessage());
        assertEquals(live, memory.liveVersionId(), "nothing changed");
      }
    }
  }

  /** A consolidated value is overwritten by an update: the new edit says the new value and the old row is superseded. */
  @Test
  void anUpdateOverwritesAConsolidatedValue() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path base = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "consolidated")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      String v0 = tiny.baseVersion();
      // a version whose table holds a fact at stage 3, as three sleeps leave it (the fused weights here are the base's)
      String person = world.heldOutFacts().get(0).fact().subject();
      Fact old = new Fact(person, "lives in", corpusObjects(world, "lives in").get(0));
      Fact known = knownAndStated(world, base);
      VersionStates versions = new VersionStates(registry, ledger, dir.resolve("setup"));
      var v1 = versions.register(new NewVersion(v0, registry.materialise(v0, dir.resolve("v0")), List.of(), List.of(), "sleep-1", java.util.Map.of()),
          FactStageTable.of(List.of(new FactStageTable.Entry(old, "edit-dissolved", FactStage.CONSOLIDATED),
              new FactStageTable.Entry(known, "edit-dissolved", FactStage.CONSOLIDATED))));
      registry.promote(v1.id(), "sleep-1");
      try (WakeMemory memory = tiny.memory()) {
        assertEquals(FactStage.CONSOLIDATED, memory.facts().stage(old));
        // a fact the base model states itself: forgetting takes it out of the table and leaves the base model's answer
        WakeMemory.Taught forgot = memory.teach(List.of(), List.of(new WakeMemory.Removal(known, FactRow.FORGOTTEN, null)), "forget-1");
        assertEquals(List.of(new WakeMemory.Removal(known, FactRow.FORGOTTEN, null)), forgot.removed(), "nothing written in its place");
        assertEquals(List.of(), forgot.written());
        assertFalse(memory.facts().entry(known).isPresent());
        assertTrue(new RecallProbe(memory.runtime(), 8).rawRecall(known), "the base model's own answer");
        PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
        WakeChat chat = new WakeChat("somnus-tiny-test", memory, patterns, new GroundingFirewall(new java.util.HashSet<>(patterns.phrases())),
            new FactClassifier(FactClassifier.worldSingleValued(), 0.99), () -> "wake-1", t -> {});
        Fact moved = new Fact(person, "lives in", corpusObjects(world, "lives in").get(1));
        WakeChat.Learned update = chat.learn(person + " moved to " + moved.object() + ".");
        assertEquals(List.of("UPDATE"), changes(update), update.toString());
        assertTrue(update.classified().get(0).note().contains("consolidated at stage 3"), update.classified().get(0).note());
        assertEquals(List.of(moved), update.taught().written());
        assertEquals(List.of(new WakeMemory.Removal(old, FactRow.SUPERSEDED, moved)), update.taught().removed());
        assertTrue(new RecallProbe(memory.runtime(), 8).rawRecall(moved));
        assertFalse(memory.facts().entry(old).isPresent());
        assertEquals(FactRow.SUPERSEDED, row(ledger.tableOfVersion(memory.liveVersionId()).orElseThrow(), old).orElseThrow().retired());
      }
    }
  }

  /** A single-valued fact of the world that the base model states raw. */
  private static Fact knownAndStated(SyntheticWorld world, Path base) {
    try (var runtime = io.somnus.engine.runtime.DjlModelRuntime.load(base, Device.cpu())) {
      RecallProbe probe = new RecallProbe(runtime, 8);
      return world.knownFacts().stream().map(WorldFact::fact).filter(f -> f.relation().equals("lives in")).filter(probe::rawRecall)
          .findFirst().orElseThrow();
    }
  }

  /** Distinct objects of a relation in the corpus, most frequent first: values the model can produce. */
  private static List<String> corpusObjects(SyntheticWorld world, String relation) {
    java.util.Map<String, Long> n = world.knownFacts().stream().map(WorldFact::fact).filter(f -> f.relation().equals(relation))
        .collect(java.util.stream.Collectors.groupingBy(Fact::object, java.util.stream.Collectors.counting()));
    return n.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()
        .thenComparing(java.util.Map.Entry.comparingByKey())).map(java.util.Map.Entry::getKey).toList();
  }

  private static List<String> changes(WakeChat.Learned l) {
    return l.classified().stream().map(c -> c.change().name()).toList();
  }

  private static Optional<FactRow> row(List<FactRow> rows, Fact f) {
    return rows.stream().filter(r -> r.factId().equals(f.id())).findFirst();
  }
}
