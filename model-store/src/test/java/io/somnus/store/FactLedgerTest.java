package io.somnus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FactLedgerTest {
  @TempDir Path root;
  StoreFixture fx;
  FactLedger ledger;

  @BeforeEach
  void start() {
    fx = new StoreFixture(root, "ledger");
    ledger = new FactLedger(fx.store);
  }

  @AfterEach
  void stop() {
    fx.close();
  }

  static FactRow row(String fact, int stage, String edit, Double raw, String run, String version, long t) {
    return new FactRow(fact, "Subject " + fact, "lives in", "City " + fact, "s1/t" + fact.length(), edit, stage,
        new float[] {1f, .5f, .1f, 0f}[stage], raw, raw == null ? null : raw / 2, run, version, Instant.ofEpochMilli(t));
  }

  @Test
  void snapshotsRoundTripWithNullsAndAreWriteOnce() {
    List<FactRow> rows = List.of(
        row("f1", 0, "e1", 0.9, "wake-1", "mv-0000000000000001", 1000),
        row("f2", 3, null, null, "wake-1", "mv-0000000000000001", 1001));
    LedgerSnapshot s = ledger.write("wake-1", "mv-0000000000000001", rows);
    assertEquals(2, s.rows());
    assertEquals(rows, new FactLedger(fx.store).table("wake-1"), "read back by a fresh ledger (no cache)");
    FactRow back = new FactLedger(fx.store).table("wake-1").get(1);
    assertNull(back.editId());
    assertNull(back.rawRecall());

    assertEquals(s.key(), ledger.write("wake-1", "mv-0000000000000001", rows).key(), "retried write is idempotent");
    assertThrows(IllegalStateException.class, () -> ledger.write("wake-1", "mv-0000000000000001", rows.subList(0, 1)));
    assertThrows(IllegalArgumentException.class, () -> ledger.write("other-run", null, rows), "rows of another run");
  }

  @Test
  void historyAndDiffAcrossRuns() {
    String v1 = "mv-00000000000000a1";
    String v2 = "mv-00000000000000a2";
    ledger.write("sleep-1", v1, List.of(row("f1", 0, "e1", 0.2, "sleep-1", v1, 10), row("f2", 0, "e2", 0.3, "sleep-1", v1, 10)));
    ledger.write("sleep-2", v2, List.of(row("f1", 1, "e1", 0.8, "sleep-2", v2, 20), row("f3", 0, "e3", 0.1, "sleep-2", v2, 20)));

    List<FactRow> h = ledger.history("f1");
    assertEquals(List.of("sleep-1", "sleep-2"), h.stream().map(FactRow::runId).toList());
    assertEquals(List.of(0, 1), h.stream().map(FactRow::stage).toList());

    List<FactChange> d = FactLedger.diff(ledger.tableOfVersion(v1).orElseThrow(), ledger.tableOfVersion(v2).orElseThrow());
    assertEquals(List.of("f1:CHANGED", "f2:REMOVED", "f3:ADDED"), d.stream().map(c -> c.factId() + ":" + c.kind()).toList());
    assertEquals(0.5f, d.get(0).after().memitScale());
    assertTrue(ledger.tableOfVersion("mv-00000000000000ff").isEmpty());
    assertThrows(ObjectNotFoundException.class, () -> ledger.table("never-ran"));
  }

  @Test
  void anUpdateRecordsTheSupersededRowAndTheChainAndOldSnapshotsStillRead() throws Exception {
    FactRow a = row("aaaaaaaaaaaa", 0, "edit-1", 1.0, "wake-1", "v1", 1000);
    ledger.write("wake-1", "v1", List.of(a));
    FactRow b = new FactRow("bbbbbbbbbbbb", "Subject aaaaaaaaaaaa", "lives in", "Berlin", null, "edit-2", 0, 1f, 1.0, null, "wake-2",
        "v2", Instant.ofEpochMilli(2000), null, "aaaaaaaaaaaa", null);
    FactRow aGone = new FactRow("aaaaaaaaaaaa", a.subject(), a.relation(), a.object(), a.sourceTurn(), null, 0, 0f, 0.0, null, "wake-2",
        "v2", Instant.ofEpochMilli(2000), FactRow.SUPERSEDED, null, "bbbbbbbbbbbb");
    ledger.write("wake-2", "v2", List.of(b, aGone));
    assertEquals(List.of(b, aGone), ledger.table("wake-2"), "the new columns round-trip");
    assertEquals(List.of(b), ledger.tableOfVersion("v2").orElseThrow().stream().filter(FactRow::held).toList());

    Lineage lineage = new Lineage(new ModelRegistry(fx.store), ledger, null, null);
    List<Lineage.FactEvent> events = lineage.factHistory("aaaaaaaaaaaa");
    assertEquals(2, events.size());
    assertEquals(List.of("superseded by fact bbbbbbbbbbbb"), events.get(1).changes());
    assertEquals(List.of("recorded at stage 0, scale 1.0, superseding fact aaaaaaaaaaaa"), lineage.factHistory("bbbbbbbbbbbb").get(0).changes());

    assertThrows(IllegalArgumentException.class, () -> new FactRow("c", "s", "r", "o", null, null, 0, 0f, null, null, "run", null,
        Instant.EPOCH, "gone", null, null), "an unknown retirement is refused");
    assertThrows(IllegalArgumentException.class, () -> new FactRow("c", "s", "r", "o", null, null, 0, 0f, null, null, "run", null,
        Instant.EPOCH, null, null, "bbbbbbbbbbbb"), "only a retired row names the fact written in its place");
    assertThrows(IllegalArgumentException.class, () -> new FactRow("c", "s", "r", "o", null, null, 0, 0f, null, null, "run", null,
        Instant.EPOCH, FactRow.SUPERSEDED, null, null), "a superseded row names the fact that superseded it");

    // a snapshot written before the update columns existed reads with them null
    MessageType v1 = MessageTypeParser.parseMessageType("""
        message fact_row {
          required binary fact_id (STRING); required binary subject (STRING); required binary relation (STRING);
          required binary object (STRING); optional binary source_turn (STRING); optional binary edit_id (STRING);
          required int32 stage; required float memit_scale; optional double raw_recall; optional double chat_recall;
          required binary run_id (STRING); optional binary model_version (STRING); required int64 time (TIMESTAMP(MILLIS,true));
        }
        """);
    Path old = root.resolve("old.parquet");
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(old)).withType(v1)
        .withConf(new org.apache.parquet.conf.PlainParquetConfiguration()).withCodecFactory(ParquetCodecs.INSTANCE).build()) {
      w.write(new SimpleGroupFactory(v1).newGroup().append("fact_id", "dddddddddddd").append("subject", "S").append("relation", "lives in")
          .append("object", "Oslo").append("stage", 1).append("memit_scale", .5f).append("run_id", "sleep-1").append("time", 5L));
    }
    FactRow read = ParquetFactTable.read(old, "old snapshot").get(0);
    assertTrue(read.held());
    assertNull(read.supersedes());
    assertEquals("Oslo", read.object());
  }

  @Test
  void unreadableParquetIsAClearError() throws Exception {
    // Garbage bytes indexed as a snapshot.
    String garbage = fx.store.put("this is not parquet at all".getBytes(StandardCharsets.UTF_8));
    fx.store.writeDocument(FactLedger.RUNS + "bad-1.json", Json.write(new LedgerSnapshot("bad-1", null, garbage, 3, Instant.now())),
        WriteCondition.absent());
    LedgerFormatException e = assertThrows(LedgerFormatException.class, () -> ledger.table("bad-1"));
    assertTrue(e.getMessage().contains("bad-1") && e.getMessage().contains("not a readable Parquet"), e.getMessage());

    // A real snapshot cut short.
    Path good = root.resolve("good.parquet");
    ParquetFactTable.write(good, List.of(row("f1", 0, "e1", 0.5, "r", null, 1)), Map.of());
    byte[] bytes = Files.readAllBytes(good);
    Path truncated = root.resolve("truncated.parquet");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
    assertThrows(LedgerFormatException.class, () -> ParquetFactTable.read(truncated, "truncated"));

    // Valid Parquet, wrong table.
    MessageType other = MessageTypeParser.parseMessageType("message other { required int32 x; }");
    Path wrong = root.resolve("other.parquet");
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(wrong))
        .withConf(new org.apache.parquet.conf.PlainParquetConfiguration()).withType(other).build()) {
      w.write(new SimpleGroupFactory(other).newGroup().append("x", 1));
    }
    LedgerFormatException schema = assertThrows(LedgerFormatException.class, () -> ParquetFactTable.read(wrong, "other.parquet"));
    assertTrue(schema.getMessage().contains("column 'fact_id' is missing"), schema.getMessage());
  }

  @Test
  void hundredThousandRowsRoundTrip() throws Exception {
    int n = 100_000;
    Random rnd = new Random(1);
    List<FactRow> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int stage = rnd.nextInt(4);
      rows.add(new FactRow(String.format("%012x", i * 2654435761L & 0xffffffffffffL), "Person " + (i % 5000), "relation " + (i % 40),
          "Object " + rnd.nextInt(20000), "session-" + (i / 100) + "/turn-" + (i % 100), stage == 3 ? null : "edit-" + (i / 8),
          stage, new float[] {1f, .5f, .1f, 0f}[stage], rnd.nextDouble(), rnd.nextBoolean() ? null : rnd.nextDouble(),
          "sleep-bench", "mv-00000000000000b1", Instant.ofEpochMilli(1_700_000_000_000L + i)));
    }
    Path file = root.resolve("bench.parquet");
    long t0 = System.nanoTime();
    ParquetFactTable.write(file, rows, Map.of());
    long t1 = System.nanoTime();
    List<FactRow> back = ParquetFactTable.read(file, "bench");
    long t2 = System.nanoTime();
    assertEquals(rows, back);

    long t3 = System.nanoTime();
    LedgerSnapshot s = ledger.write("sleep-bench", "mv-00000000000000b1", rows);
    long t4 = System.nanoTime();
    List<FactRow> viaStore = new FactLedger(fx.store).table("sleep-bench");
    long t5 = System.nanoTime();
    assertEquals(rows, viaStore);
    System.out.printf("fact ledger, %d rows: parquet %.2f MB (%.1f bytes/row, zstd); local write %.0f ms, read %.0f ms; "
            + "via object store write+upload %.0f ms, download+read %.0f ms (key %s)%n",
        n, Files.size(file) / 1e6, Files.size(file) / (double) n, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t4 - t3) / 1e6, (t5 - t4) / 1e6, s.key());
  }
}
