package io.somnus.cli.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.S3ObjectStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wake writes on the test-sized somnus-tiny through the embedded S3 server: versions, ledger, aliases, reload. */
class WakeMemoryTest {
  @TempDir Path dir;

  @Test
  void teachingMakesANewLiveVersionWithItsFactTableAndSurvivesAReload() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path base = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "wake-test")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      String v0 = tiny.baseVersion();
      assertEquals(v0, registry.aliases().live());
      assertEquals(v0, WakeMemory.importBase(registry, ledger, base, "import-2"), "a second import keeps the live version");

      List<Fact> facts = world.heldOutFacts().subList(0, 2).stream().map(WorldFact::fact).toList();
      WakeMemory.Taught taught;
      try (WakeMemory memory = tiny.memory()) {
        assertEquals(v0, memory.liveVersionId());
        taught = memory.teach(facts, "wake-1");
        assertNotEquals(v0, taught.versionId());
        // MEMIT may refuse a fact (e.g. no usable v*): it is reported, never silently dropped
        assertEquals(facts.size(), taught.written().size() + taught.skipped().size(), taught.skipped().toString());
        assertFalse(taught.written().isEmpty(), "skipped: " + taught.skipped());
        assertEquals(taught.versionId(), registry.aliases().live(), "the new version is live");
        assertEquals(v0, registry.aliases().previous());
        assertEquals(taught.versionId(), memory.liveVersionId());

        ModelVersion v1 = registry.version(taught.versionId());
        assertEquals(v0, v1.parentId());
        assertEquals("wake-1", v1.createdByRun());
        assertEquals(1, v1.memitEdits().size());
        assertEquals(taught.editId(), v1.memitEdits().get(0).editId());
        assertEquals(1f, v1.memitEdits().get(0).scale());
        assertEquals(registry.version(v0).checkpoint(), v1.checkpoint(), "fused weights unchanged: only the edit is new");

        List<FactRow> rows = ledger.tableOfVersion(v1.id()).orElseThrow();
        assertEquals(taught.written().size(), rows.size());
        for (FactRow r : rows) {
          assertEquals(0, r.stage());
          assertEquals(1f, r.memitScale());
          assertEquals(taught.editId(), r.editId());
          assertEquals("wake-1", r.runId());
          assertEquals(taught.recalledRightAfter().get(r.factId()) ? 1.0 : 0.0, r.rawRecall());
        }

        // a chat turn: the statement is extracted, screened and written before the answer; the question is not a fact
        PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
        List<WakeMemory.Taught> signalled = new java.util.ArrayList<>();
        WakeChat chat = new WakeChat("somnus-tiny-test", memory, patterns, new GroundingFirewall(new java.util.HashSet<>(patterns.phrases())),
            () -> "wake-chat-1", signalled::add);
        Fact third = world.heldOutFacts().get(2).fact();
        String said = "Where does " + facts.get(0).subject() + " live? " + third.sentence();
        ChatBackend.Reply reply = chat.chat(List.of(io.somnus.engine.model.ChatMessage.user(said)),
            io.somnus.engine.runtime.GenerationOptions.greedy(8));
        List<String> handled = new java.util.ArrayList<>(reply.factsWritten());
        reply.factsRejected().forEach(r -> handled.add(r.substring(0, r.indexOf(" ("))));
        assertEquals(List.of(third.sentence()), handled, "only the statement became a fact: " + reply);
        assertTrue(reply.promptTokens() > 0 && reply.completionTokens() <= 8, reply.toString());
        if (!reply.factsWritten().isEmpty()) {
          assertEquals(1, signalled.size(), "the lifecycle hook heard about the write");
          assertEquals(registry.aliases().live(), signalled.get(0).versionId());
        }

        WakeMemory.Taught again = memory.teach(taught.written(), "wake-2");
        assertNull(again.editId(), "nothing new to write");
        assertEquals(memory.liveVersionId(), again.versionId());
        assertEquals("already in memory", again.skipped().get(taught.written().get(0).sentence()));
      }

      // a restarted process sees the same facts at the same stages
      try (WakeMemory reloaded = tiny.memory("work2")) {
        assertEquals(registry.aliases().live(), reloaded.liveVersionId());
        assertTrue(reloaded.facts().facts().containsAll(taught.written()));
        assertTrue(reloaded.facts().entries().stream().allMatch(e -> e.stage().level() == 0));
      }
    }
  }

  @Test
  void factsTaughtOneTurnAtATimeEachStayInExactlyOneStoredEdit() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "wake-turns")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      List<Fact> taught = new java.util.ArrayList<>();
      int repaired = 0;
      try (WakeMemory memory = tiny.memory()) {
        for (WorldFact wf : world.heldOutFacts().subList(0, 8)) {
          WakeMemory.Taught t = memory.teach(List.of(wf.fact()), "turn-" + taught.size());
          taught.addAll(t.written());
          repaired += t.repaired().size();
          ModelVersion live = registry.version(registry.aliases().live());
          java.util.Set<String> stored = new java.util.HashSet<>();
          live.memitEdits().forEach(r -> stored.add(r.editId()));
          List<FactRow> rows = ledger.tableOfVersion(live.id()).orElseThrow();
          assertEquals(taught.size(), rows.size(), "every fact taught so far is in the table once");
          for (FactRow r : rows) assertTrue(stored.contains(r.editId()), r + " points at an edit the version does not hold");
          assertEquals(memory.facts().entries().stream().map(e -> e.editId()).distinct().count(), stored.size(),
              "no stored edit without a fact: replaced edits are dropped from the version");
        }
        // After the last turn every full-scale fact is stated again, or was left for the next turn's repair.
        long stated = taught.stream().filter(f -> new io.somnus.engine.memory.RecallProbe(memory.runtime()).rawRecall(f)).count();
        System.out.printf("taught %d facts one turn at a time: %d repaired along the way, %d stated now%n", taught.size(), repaired, stated);
        assertTrue(stated >= taught.size() - 1, stated + " of " + taught.size() + " stated");
      }
    }
  }

  /**
   * A sleep's ledger snapshot measures chat recall only (raw recall null): the next teach on the version it promoted
   * carries those rows over and must not unbox the missing raw recall.
   */
  @Test
  void aTeachAfterASleepsSnapshotWithoutRawRecallWritesTheNewFact() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    Path base = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    try (TinyWakeStore tiny = TinyWakeStore.open(dir, "wake-after-sleep")) {
      ModelRegistry registry = tiny.registry();
      FactLedger ledger = tiny.ledger();
      List<Fact> facts = world.heldOutFacts().subList(0, 3).stream().map(WorldFact::fact).toList();
      try (WakeMemory memory = tiny.memory()) {
        WakeMemory.Taught first = memory.teach(facts.subList(0, 2), "wake-1");
        ModelVersion taught = registry.version(first.versionId());
        // what a promoted sleep leaves: a version of its own whose snapshot carries chat recall and no raw recall
        ModelVersion slept = registry.create(new io.somnus.store.NewVersion(taught.id(), base,
            taught.loraHistory(), taught.memitEdits(), "sleep-1", java.util.Map.of()));
        List<FactRow> sleptRows = ledger.tableOfVersion(taught.id()).orElseThrow().stream()
            .map(r -> new FactRow(r.factId(), r.subject(), r.relation(), r.object(), null, r.editId(), 1, 0.5f, null, 1.0,
                "sleep-1", slept.id(), java.time.Instant.now()))
            .toList();
        ledger.write("sleep-1", slept.id(), sleptRows);
        registry.promote(slept.id(), "sleep-1");

        WakeMemory.Taught second = memory.teach(facts.subList(2, 3), "wake-2");
        assertEquals(List.of(facts.get(2)), second.written(), second.skipped().toString());
        List<FactRow> rows = ledger.tableOfVersion(second.versionId()).orElseThrow();
        assertEquals(first.written().size() + 1, rows.size(), "every fact taught is in the new table: " + rows);
        for (FactRow r : rows) {
          if (second.recalledRightAfter().containsKey(r.factId())) continue;
          assertNull(r.rawRecall(), "a fact the teach did not measure keeps its unmeasured raw recall: " + r);
          assertEquals(1.0, r.chatRecall(), r.toString());
        }
      }
    }
  }

  /** A checkpoint nothing can load is refused at import with what is wrong, and nothing is registered or made live. */
  @Test
  void aBaseCheckpointThatCannotBeLoadedIsNeverRegistered() throws Exception {
    Path good = SomnusTiny.ensure(SomnusTiny.Variant.TEST);
    Map<String, java.util.function.Consumer<Path>> breakages = new java.util.LinkedHashMap<>();
    breakages.put("truncated weights", d -> rewrite(d.resolve("model.safetensors"), b -> java.util.Arrays.copyOf(b, b.length / 2)));
    breakages.put("garbage header", d -> rewrite(d.resolve("model.safetensors"), b -> {
      for (int i = 0; i < 64; i++) b[i] = (byte) 0xEE;
      return b;
    }));
    breakages.put("unknown architecture", d -> rewrite(d.resolve("config.json"), b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)
        .replace("LlamaForCausalLM", "GPT2LMHeadModel").replace("\"llama\"", "\"gpt2\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    breakages.put("wrong tensor shape", d -> rewrite(d.resolve("config.json"), b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)
        .replace("\"intermediate_size\" : 256", "\"intermediate_size\" : 320").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("broken-imports"))) {
      ModelRegistry registry = new ModelRegistry(store);
      FactLedger ledger = new FactLedger(store);
      for (var breakage : breakages.entrySet()) {
        Path broken = dir.resolve(breakage.getKey().replace(' ', '-'));
        copy(good, broken);
        breakage.getValue().accept(broken);
        io.somnus.engine.model.CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(
            io.somnus.engine.model.CheckpointException.class, () -> WakeMemory.importBase(registry, ledger, broken, "import-1"),
            breakage.getKey());
        assertTrue(e.getMessage().contains(broken.toString()) && e.getMessage().contains("nothing was registered"),
            breakage.getKey() + ": " + e.getMessage());
        assertEquals(List.of(), registry.versions(), breakage.getKey() + ": nothing registered");
        assertNull(registry.aliases().live(), breakage.getKey() + ": nothing live");
      }
      assertNotEquals(null, WakeMemory.importBase(registry, ledger, good, "import-2"), "the good checkpoint imports afterwards");
    }
  }

  private static void rewrite(Path file, java.util.function.UnaryOperator<byte[]> change) {
    try {
      java.nio.file.Files.write(file, change.apply(java.nio.file.Files.readAllBytes(file)));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void copy(Path from, Path to) throws java.io.IOException {
    java.nio.file.Files.createDirectories(to);
    try (var files = java.nio.file.Files.list(from)) {
      for (Path f : files.toList()) java.nio.file.Files.copy(f, to.resolve(f.getFileName()));
    }
  }
}
