package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  @TempDir Path root;
  StoreFixture fx;
  ModelRegistry registry;

  @BeforeEach
  void start() {
    fx = new StoreFixture(root, "registry");
    registry = new ModelRegistry(fx.store);
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  @Test
  void versionsAreImmutableIdempotentAndShareUnchangedShards() throws Exception {
    Path ck1 = StoreFixture.checkpoint(root.resolve("ck1"), 1, 2);
    ModelVersion base = registry.create(NewVersion.base(ck1, "import-1"));
    assertNull(base.parentId());
    assertEquals(4, base.checkpoint().size());
    int blobsAfterBase = fx.store.list(ContentKeys.PREFIX).size();

    // Same input again (a retried activity): same version, nothing new stored.
    ModelVersion again = registry.create(NewVersion.base(ck1, "import-1"));
    assertEquals(base, again);
    assertEquals(blobsAfterBase, fx.store.list(ContentKeys.PREFIX).size());

    // A child whose second shard changed: one new blob only, the rest deduplicated by hash.
    Path ck2 = StoreFixture.checkpoint(root.resolve("ck2"), 1, 99);
    String adapter = fx.store.put("lora adapter bytes".getBytes(StandardCharsets.UTF_8));
    ModelVersion child = registry.create(new NewVersion(base.id(), ck2, List.of(adapter), List.of(), "sleep-1",
        Map.of("recall", 0.75)));
    assertEquals(base.id(), child.parentId());
    assertEquals(List.of(adapter), child.loraHistory());
    assertEquals(0.75, child.metrics().get("recall"));
    assertEquals(blobsAfterBase + 2, fx.store.list(ContentKeys.PREFIX).size(), "changed shard + adapter");
    assertEquals(base.checkpoint().get(0).key(), child.checkpoint().get(0).key());
    assertEquals(List.of(base.id(), child.id()), registry.versions().stream().map(ModelVersion::id).toList());

    assertThrows(VersionNotFoundException.class, () -> registry.version("mv-0000000000000000"));
    assertThrows(VersionNotFoundException.class,
        () -> registry.create(new NewVersion("mv-0000000000000000", ck2, List.of(), List.of(), "r", Map.of())));
    String missingAdapter = ContentKeys.keyOf("never uploaded".getBytes(StandardCharsets.UTF_8));
    assertThrows(ObjectNotFoundException.class,
        () -> registry.create(new NewVersion(base.id(), ck2, List.of(missingAdapter), List.of(), "r", Map.of())));
  }

  @Test
  void promoteAndRollbackMoveBothAliasesByCompareAndSet() throws Exception {
    ModelVersion a = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("a"), 1, 2), "import"));
    ModelVersion b = registry.create(new NewVersion(a.id(), StoreFixture.checkpoint(root.resolve("b"), 1, 3), List.of(), List.of(), "sleep-1", Map.of()));
    assertThrows(VersionNotFoundException.class, registry::live);

    Aliases g1 = registry.promote(a.id(), "import");
    assertEquals(1, g1.generation());
    Aliases g2 = registry.promote(b.id(), "sleep-1", 1);
    assertEquals(new Aliases(2, b.id(), a.id(), g2.updatedAt(), "sleep-1"), g2);
    assertEquals(b.id(), registry.live().id());
    assertEquals(g2, registry.promote(b.id(), "sleep-1"), "re-promoting the live version is a no-op");

    AliasConflictException stale = assertThrows(AliasConflictException.class, () -> registry.promote(a.id(), "late", 1));
    assertTrue(stale.getMessage().contains("generation 2"), stale.getMessage());
    assertEquals(b.id(), registry.live().id());

    Aliases g3 = registry.rollback("rollback-1", 2);
    assertEquals(a.id(), g3.live());
    assertEquals(b.id(), g3.previous());
    assertEquals(3, registry.aliases().generation());
  }

  @Test
  void concurrentPromotesFromTheSameGenerationHaveOneWinner() throws Exception {
    ModelVersion base = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("base"), 1, 2), "import"));
    registry.promote(base.id(), "import");
    List<ModelVersion> candidates = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      candidates.add(registry.create(new NewVersion(base.id(), StoreFixture.checkpoint(root.resolve("c" + i), 1, 10 + i),
          List.of(), List.of(), "sleep-" + i, Map.of())));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (ModelVersion c : candidates) {
        results.add(pool.submit(() -> {
          try {
            return registry.promote(c.id(), c.createdByRun(), 1).live();
          } catch (AliasConflictException lost) {
            return null;
          }
        }));
      }
      Set<String> winners = new HashSet<>();
      for (Future<String> f : results) if (f.get() != null) winners.add(f.get());
      assertEquals(1, winners.size(), "exactly one promote from generation 1 may win");
      Aliases now = registry.aliases();
      assertEquals(2, now.generation());
      assertEquals(winners.iterator().next(), now.live());
      assertEquals(base.id(), now.previous());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aliasPointingToAMissingVersionIsAClearError() {
    fx.store.writeDocument(ModelRegistry.ALIASES,
        "{\"generation\":7,\"live\":\"mv-00000000deadbeef\",\"previous\":null}".getBytes(StandardCharsets.UTF_8),
        WriteCondition.none());
    VersionNotFoundException e = assertThrows(VersionNotFoundException.class, registry::live);
    assertTrue(e.getMessage().contains("alias 'live'") && e.getMessage().contains("mv-00000000deadbeef"), e.getMessage());
  }

  @Test
  void materialiseWritesTheExactFilesAtomically() throws Exception {
    Path ck = StoreFixture.checkpoint(root.resolve("src"), 5, 6);
    ModelVersion v = registry.create(NewVersion.base(ck, "import"));
    Path out = registry.materialise(v.id(), root.resolve("out/model"));
    for (CheckpointFile f : v.checkpoint()) {
      assertArrayEquals(Files.readAllBytes(ck.resolve(f.path())), Files.readAllBytes(out.resolve(f.path())), f.path());
    }
    assertTrue(Files.readString(out.resolve("somnus-version.json")).contains(v.id()));
    assertEquals(out, registry.materialise(v.id(), out), "already materialised: reused as it is");
    ModelVersion other = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("src2"), 7, 8), "import-2"));
    IllegalArgumentException taken = assertThrows(IllegalArgumentException.class, () -> registry.materialise(other.id(), out));
    assertTrue(taken.getMessage().contains(v.id()), "says which version holds the folder: " + taken.getMessage());

    // A corrupt shard fails the download and leaves no half-filled folder behind.
    Path blob = blobFile(v.checkpoint().get(1).key());
    byte[] bytes = Files.readAllBytes(blob);
    bytes[10] ^= 1;
    Files.write(blob, bytes);
    Path target = root.resolve("out/broken");
    assertThrows(CorruptObjectException.class, () -> registry.materialise(v.id(), target));
    assertTrue(Files.notExists(target));
    try (var s = Files.list(root.resolve("out"))) {
      assertEquals(List.of("model"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  /** Two processes (a wake and a sleep step) loading the same new version at once both get the one folder. */
  @Test
  void concurrentMaterialisationsOfOneVersionBothSucceed() throws Exception {
    ModelVersion v = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("same"), 3, 4), "import"));
    java.util.concurrent.CyclicBarrier bothDownloading = new java.util.concurrent.CyclicBarrier(2);
    ObjectStore slow = new ObjectStore() {
      @Override public String put(Path file) { return fx.store.put(file); }
      @Override public String put(byte[] content) { return fx.store.put(content); }
      @Override public void get(String key, Path target) {
        try {
          bothDownloading.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          // the other download is past the barrier already
        }
        fx.store.get(key, target);
      }
      @Override public byte[] getBytes(String key) { return fx.store.getBytes(key); }
      @Override public boolean exists(String key) { return fx.store.exists(key); }
      @Override public List<StoredObject> list(String prefix) { return fx.store.list(prefix); }
      @Override public void delete(String key) { fx.store.delete(key); }
      @Override public java.util.Optional<Document> readDocument(String name) { return fx.store.readDocument(name); }
      @Override public String writeDocument(String name, byte[] content, WriteCondition c) { return fx.store.writeDocument(name, content, c); }
      @Override public String describe() { return fx.store.describe(); }
      @Override public String uri(String key) { return fx.store.uri(key); }
      @Override public void close() {}
    };
    ModelRegistry second = new ModelRegistry(slow);
    Path target = root.resolve("cache/" + v.id());
    var a = java.util.concurrent.CompletableFuture.supplyAsync(() -> second.materialise(v.id(), target));
    var b = java.util.concurrent.CompletableFuture.supplyAsync(() -> second.materialise(v.id(), target));
    assertEquals(target, a.get(60, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(target, b.get(60, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(Files.readString(target.resolve("somnus-version.json")).contains(v.id()));
    try (var s = Files.list(target.getParent())) {
      assertEquals(List.of(v.id()), s.map(p -> p.getFileName().toString()).toList(), "no temp folder left behind");
    }
  }

  @Test
  void memitEditRoundTripsThroughSafetensors() {
    LayerDelta d1 = new LayerDelta("model.layers.1.mlp.down_proj.weight", 4, 6, 2,
        new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new float[] {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f, 1f, 1.1f, 1.2f});
    LayerDelta d2 = new LayerDelta("model.layers.2.mlp.down_proj.weight", 4, 6, 1,
        new float[] {-1, 0, 1, 2}, new float[] {3, 2, 1, 0, -1, -2});
    MemitEdit edit = new MemitEdit("edit-42", List.of(new Fact("Mara Okafor", "lives in", "Lisbon"),
        new Fact("Mara Okafor", "works as", "a luthier")), List.of(d1, d2));
    String key = EditArtifacts.write(fx.store, edit);
    assertEquals(edit, EditArtifacts.read(fx.store, key));
    assertEquals(key, EditArtifacts.write(fx.store, edit), "same edit, same artifact");
    String notAnEdit = fx.store.put("plain bytes".getBytes(StandardCharsets.UTF_8));
    assertThrows(RuntimeException.class, () -> EditArtifacts.read(fx.store, notAnEdit));
  }

  @Test
  void garbageCollectionOnlyRemovesUnreferencedOldBlobs() throws Exception {
    ModelVersion v = registry.create(NewVersion.base(StoreFixture.checkpoint(root.resolve("v"), 1, 2), "import"));
    registry.promote(v.id(), "import");
    String orphan = fx.store.put("left over by a crashed run".getBytes(StandardCharsets.UTF_8));

    GarbageCollector gc = new GarbageCollector(fx.store);
    GarbageCollector.Report young = gc.collect(GarbageCollector.DEFAULT_MIN_AGE, false);
    assertTrue(young.deleted().isEmpty(), "a fresh orphan may be an in-flight upload");
    assertEquals(1, young.unreferencedTooYoung());

    GarbageCollector.Report dry = gc.collect(Duration.ZERO, true);
    assertEquals(List.of(orphan), dry.deleted().stream().map(StoredObject::key).toList());
    assertTrue(fx.store.exists(orphan));

    GarbageCollector.Report real = gc.collect(Duration.ZERO, false);
    assertEquals(List.of(orphan), real.deleted().stream().map(StoredObject::key).toList());
    assertEquals(v.checkpoint().size(), real.referenced());
    assertTrue(!fx.store.exists(orphan));
    for (String k : v.blobKeys()) assertTrue(fx.store.exists(k), "referenced blob " + k + " must survive");
    assertEquals(v.id(), registry.live().id());
  }

  private Path blobFile(String key) throws Exception {
    String digest = ContentKeys.digestOf(key);
    try (var files = Files.walk(fx.server.dataDir())) {
      return files.filter(p -> p.getFileName().toString().equals(digest)).findFirst().orElseThrow();
    }
  }
}
