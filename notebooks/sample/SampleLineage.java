import io.somnus.engine.memory.Fact;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.FactRow;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.EditRef;
import io.somnus.store.S3ObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a SYNTHETIC lineage data set for the notebooks through the model store's own API (the
 * embedded S3 server over a folder, {@link ModelRegistry}, {@link FactLedger}), so the files have
 * exactly the layout and format a Somnus run produces:
 *
 * <pre>
 *   OUT/SAMPLE-DATA.txt   marker: the notebooks print that the data is synthetic, and this text
 *   OUT/s3/somnus/...     bucket "somnus": registry/versions, registry/aliases.json, ledger/runs, blobs
 * </pre>
 *
 * The numbers come from a seeded toy process (chat recall climbs with each consolidation, facts move
 * through stages 0..3 with MEMIT scales 1.0/0.5/0.1/0.0, and the fuse of the last run damages the
 * oldest facts, which is then promoted), chosen so every notebook section has something to show.
 * They are not measurements. Replace this data with a real run's (SOMNUS_DATA_DIR) when one exists.
 *
 * <p>Run: {@code java -cp CLASSPATH notebooks/sample/SampleLineage.java OUT}
 */
public final class SampleLineage {

  static final float[] STAGE_SCALE = {1.0f, 0.5f, 0.1f, 0.0f};
  static final Fact[] FACTS = {
      new Fact("Mira Okafor", "lives in", "Tallinn"), new Fact("Mira Okafor", "works as", "a glassblower"),
      new Fact("Mira Okafor", "has a dog named", "Pilot"), new Fact("Jonas Reyes", "was born in", "Valparaiso"),
      new Fact("Jonas Reyes", "plays", "the oboe"), new Fact("the Lumen project", "is written in", "Rust"),
      new Fact("the Lumen project", "ships on", "the first Monday"), new Fact("Mira Okafor", "is allergic to", "walnuts"),
      new Fact("Jonas Reyes", "drives", "a green tram"), new Fact("the Lumen project", "is led by", "Jonas Reyes"),
      new Fact("Mira Okafor", "studied at", "Tartu"), new Fact("Jonas Reyes", "collects", "maps of Lisbon"),
  };
  static final int CYCLES = 6;
  static final int BAD_FUSE_CYCLE = 6;
  static final long SEED = 20261122L;

  /** A clock the generator moves by hand, so snapshots and versions carry one day per cycle. */
  static final class SteppedClock extends Clock {
    Instant now;
    SteppedClock(Instant start) { now = start; }
    @Override public ZoneId getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }

  record FactState(int index, String sourceTurn, String editId, String editKey, int stage, double chatRecall) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: SampleLineage OUT_DIR");
      System.exit(2);
    }
    Path out = Path.of(args[0]).toAbsolutePath();
    if (Files.exists(out.resolve("s3"))) {
      System.err.println(out.resolve("s3") + " already exists; refusing to mix sample data into it");
      System.exit(1);
    }
    Random rng = new Random(SEED);
    SteppedClock clock = new SteppedClock(Instant.parse("2026-11-01T22:00:00Z"));
    Path scratch = Files.createTempDirectory("somnus-sample");
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(out.resolve("s3"));
         S3ObjectStore store = S3ObjectStore.open(s3.settings("somnus"))) {
      ModelRegistry registry = new ModelRegistry(store, clock);
      FactLedger ledger = new FactLedger(store, clock);

      ModelVersion base = registry.create(NewVersion.base(fakeCheckpoint(scratch, "import-base"), "import-base"));
      registry.promote(base.id(), "import-base");
      String parent = base.id();
      List<String> lora = new ArrayList<>();
      List<FactState> facts = new ArrayList<>();
      for (int cycle = 1; cycle <= CYCLES; cycle++) {
        String run = String.format("sleep-%04d", cycle);
        clock.now = clock.now.plus(Duration.ofDays(1));
        // Four new facts are taught at wake (one MEMIT edit each) before cycles 1, 3 and 5.
        if (cycle % 2 == 1) {
          for (int k = 0; k < 4; k++) {
            int i = facts.size();
            String editId = "edit-" + run + "-" + k;
            String key = store.put(("synthetic MEMIT edit " + editId).getBytes(StandardCharsets.UTF_8));
            facts.add(new FactState(i, "session-" + cycle + "/turn-" + (3 * k + 1), editId, key, 0, 0.0));
          }
        }
        Map<FactState, double[]> measured = new LinkedHashMap<>();
        double recallSum = 0;
        for (int n = 0; n < facts.size(); n++) {
          FactState s = facts.get(n);
          boolean damaged = cycle == BAD_FUSE_CYCLE && s.index() < 4;
          double chat = damaged
              ? Math.max(0.05, s.chatRecall() - 0.55 - 0.1 * rng.nextDouble())
              : Math.min(1.0, s.chatRecall() + 0.25 + 0.2 * rng.nextDouble());
          int stage = damaged ? Math.max(0, s.stage() - 1) : (chat >= 0.8 ? Math.min(3, s.stage() + 1) : s.stage());
          float scale = STAGE_SCALE[stage];
          // Raw recall: the MEMIT delta carries the fact while its scale is high, the LoRA once consolidated.
          double raw = clamp(0.9 * scale + chat * (1 - 0.5 * scale) + 0.02 * rng.nextGaussian());
          FactState next = new FactState(s.index(), s.sourceTurn(), s.editId(), s.editKey(), stage, round(chat));
          facts.set(n, next);
          measured.put(next, new double[] {round(raw), round(chat)});
          recallSum += chat;
        }
        lora.add(store.put(("synthetic LoRA adapter of " + run).getBytes(StandardCharsets.UTF_8)));
        List<EditRef> edits = new ArrayList<>();
        for (FactState s : facts) {
          if (STAGE_SCALE[s.stage()] > 0) edits.add(new EditRef(s.editId(), s.editKey(), STAGE_SCALE[s.stage()]));
        }
        double perplexity = cycle == BAD_FUSE_CYCLE ? 14.9 : round(11.2 - 0.1 * cycle + 0.05 * rng.nextGaussian());
        Map<String, Double> metrics = Map.of("chat_recall", round(recallSum / facts.size()), "perplexity", perplexity);
        ModelVersion v = registry.create(new NewVersion(parent, fakeCheckpoint(scratch, run), List.copyOf(lora), edits, run, metrics));

        List<FactRow> rows = new ArrayList<>();
        for (Map.Entry<FactState, double[]> e : measured.entrySet()) {
          FactState s = e.getKey();
          Fact f = FACTS[s.index()];
          float scale = STAGE_SCALE[s.stage()];
          rows.add(new FactRow(f.id(), f.subject(), f.relation(), f.object(), s.sourceTurn(),
              scale > 0 ? s.editId() : null, s.stage(), scale, e.getValue()[0], e.getValue()[1], run, v.id(), clock.now));
        }
        ledger.write(run, v.id(), rows);
        // The toy gate promotes every run, the damaged one included: that is what the audit must catch.
        registry.promote(v.id(), run);
        parent = v.id();
      }
    } finally {
      try (var walk = Files.walk(scratch)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Path marker = out.resolve("SAMPLE-DATA.txt");
    Path tmp = out.resolve(".SAMPLE-DATA.txt.tmp");
    Files.writeString(tmp, """
        SYNTHETIC sample lineage written by notebooks/sample/SampleLineage.java (seed %d) through the model
        store's API: %d sleep runs over %d facts; the fuse of run sleep-%04d damages the four oldest facts
        and is promoted anyway. A toy process for exercising the notebooks, not Somnus measurements.
        """.formatted(SEED, CYCLES, FACTS.length, BAD_FUSE_CYCLE));
    Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("sample lineage written to " + out);
  }

  /** A stand-in checkpoint folder: the registry only needs files to store, not a loadable model. */
  static Path fakeCheckpoint(Path scratch, String run) throws java.io.IOException {
    Path dir = Files.createDirectories(scratch.resolve(run));
    Files.writeString(dir.resolve("config.json"), "{\"synthetic\": true, \"run\": \"" + run + "\"}");
    Files.writeString(dir.resolve("model.safetensors"), "synthetic weights of " + run);
    return dir;
  }

  static double clamp(double x) {
    return Math.max(0.0, Math.min(1.0, x));
  }

  static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }
}
