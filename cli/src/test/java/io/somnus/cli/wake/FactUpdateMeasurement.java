package io.somnus.cli.wake;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.S3ObjectStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for fact updates through the product's wake (WakeChat: extraction, classification, exact removal, MEMIT), not
 * a test: it runs only with {@code -Dsomnus.measure=updates} and prints a table. Per seed: 20 taught facts of people the
 * model never saw are updated ("X moved to Y") and 5 of them back; 20 facts the base model knows are updated. Raw and
 * chat recall of the new and the old value, the other facts' raw recall before and after, and the chance baseline.
 *
 * <pre>mvn -pl cli test -Dtest=FactUpdateMeasurement -Dsomnus.measure=updates [-Dsomnus.measure.model=somnus-tiny-test] [-Dsomnus.measure.seeds=1,2,3]</pre>
 */
class FactUpdateMeasurement {
  @TempDir Path dir;

  @Test
  void measure() {
    assumeTrue("updates".equals(System.getProperty("somnus.measure")), "a measurement, run on request");
    SomnusTiny.Variant variant = SomnusTiny.Variant.named(System.getProperty("somnus.measure.model", "somnus-tiny")).orElseThrow();
    List<Long> seeds = java.util.Arrays.stream(System.getProperty("somnus.measure.seeds", "1,2,3").split(",")).filter(x -> !x.isBlank()).map(Long::parseLong).toList();
    SyntheticWorld world = variant.world();
    Path base = SomnusTiny.ensure(variant);
    confidence(world, base);
    StringBuilder table = new StringBuilder();
    for (long seed : seeds) {
      long t0 = System.nanoTime();
      Map<String, String> row = new LinkedHashMap<>();
      row.put("seed", Long.toString(seed));
      taught(world, base, seed, row);
      known(world, base, seed, row);
      row.put("seconds", String.format(Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e9));
      if (table.isEmpty()) table.append(String.join(" | ", row.keySet())).append('\n');
      table.append(String.join(" | ", row.values())).append('\n');
      System.out.println("fact updates, " + variant.name() + ", seed " + seed + ": " + row);
    }
    System.out.println("\nfact updates on " + variant.name() + "\n" + table);
  }

  /**
   * The probability of the base model's greedy raw answer, for 60 known facts and for 60 people it never saw, per
   * single-valued relation: where {@link FactClassifier#DEFAULT_CONFIDENCE} separates a known value from a guess.
   */
  private static void confidence(SyntheticWorld world, Path base) {
    java.util.Set<String> single = FactClassifier.worldSingleValued();
    try (var rt = io.somnus.engine.runtime.DjlModelRuntime.load(base, Device.cpu())) {
      RecallProbe p = new RecallProbe(rt, 12);
      for (String group : List.of("known", "never seen")) {
        List<WorldFact> facts = group.equals("known") ? world.sampleKnown(60, 1) : world.heldOutFacts().subList(0, 60);
        List<Double> ps = new ArrayList<>();
        int correct = 0;
        for (WorldFact wf : facts) {
          Fact f = wf.fact();
          if (!single.contains(f.relation())) continue;
          String[] parts = p.complete(f.prompt()).strip().split("[.,;!?\\n]");
          if (parts.length == 0 || parts[0].isBlank()) continue;
          String answer = parts[0].strip();
          if (answer.equals(f.object())) correct++;
          ps.add(Math.exp(p.objectLogProbs(List.of(new Fact(f.subject(), f.relation(), answer)))[0]));
        }
        Collections.sort(ps);
        long above = ps.stream().filter(x -> x >= FactClassifier.DEFAULT_CONFIDENCE).count();
        System.out.printf(Locale.ROOT, "confidence of the greedy answer, %s people, single-valued relations: n=%d, %d correct,"
            + " p min %.2f / median %.2f / max %.2f, %d at or above %.2f%n", group, ps.size(), correct, ps.get(0),
            ps.get(ps.size() / 2), ps.get(ps.size() - 1), above, FactClassifier.DEFAULT_CONFIDENCE);
      }
    }
  }

  private void taught(SyntheticWorld world, Path base, long seed, Map<String, String> row) {
    Random rng = new Random(seed);
    List<String> cities = objects(world, "lives in");
    List<String> jobs = objects(world, "works as");
    List<String> people = new ArrayList<>(world.heldOutFacts().stream().map(f -> f.fact().subject()).distinct().toList());
    Collections.shuffle(people, rng);
    people = people.subList(0, 20);
    List<Fact> first = new ArrayList<>();
    List<Fact> second = new ArrayList<>();
    List<Fact> others = new ArrayList<>();
    for (int i = 0; i < people.size(); i++) {
      String a = cities.get(rng.nextInt(cities.size()));
      String b;
      do b = cities.get(rng.nextInt(cities.size())); while (b.equals(a));
      first.add(new Fact(people.get(i), "lives in", a));
      second.add(new Fact(people.get(i), "lives in", b));
      if (i < 5) others.add(new Fact(people.get(i), "works as", jobs.get(rng.nextInt(jobs.size()))));
    }
    try (Memory m = new Memory(world, base, dir.resolve("taught-" + seed))) {
      row.put("taught: chance", rate(m.raw(first)));
      List<Fact> all = new ArrayList<>(first);
      all.addAll(others);
      m.say(all.stream().map(Fact::sentence).toList());
      List<Boolean> othersBefore = m.raw(others);
      row.put("taught: written", rate(m.raw(first)));
      List<String> classes = m.say(second.stream().map(f -> f.subject() + " moved to " + f.object() + ".").toList());
      row.put("update: UPDATE", share(classes, "UPDATE"));
      row.put("new raw", rate(m.raw(second)));
      row.put("new chat", rate(m.chat(world, second)));
      row.put("old raw", rate(m.raw(first)));
      row.put("old chat", rate(m.chat(world, first)));
      row.put("others raw before→after", rate(othersBefore) + "→" + rate(m.raw(others)));
      List<String> back = m.say(first.subList(0, 5).stream().map(f -> "Actually, " + f.sentence()).toList());
      row.put("back: UPDATE", share(back, "UPDATE"));
      row.put("back raw", rate(m.raw(first.subList(0, 5))));
      row.put("back: 2nd value raw", rate(m.raw(second.subList(0, 5))));
    }
  }

  private void known(SyntheticWorld world, Path base, long seed, Map<String, String> row) {
    Random rng = new Random(seed * 31 + 7);
    List<String> cities = objects(world, "lives in");
    try (Memory m = new Memory(world, base, dir.resolve("known-" + seed))) {
      RecallProbe probe = new RecallProbe(m.memory.runtime(), 12);
      List<WorldFact> pool = new ArrayList<>(world.knownFacts().stream().filter(f -> f.fact().relation().equals("lives in")).toList());
      Collections.shuffle(pool, rng);
      List<Fact> old = new ArrayList<>();
      List<Fact> updates = new ArrayList<>();
      List<Fact> others = new ArrayList<>();
      for (WorldFact wf : pool) {
        Fact f = wf.fact();
        if (!probe.rawRecall(f) || Math.exp(probe.objectLogProbs(List.of(f))[0]) < FactClassifier.DEFAULT_CONFIDENCE) continue;
        String b;
        do b = cities.get(rng.nextInt(cities.size())); while (b.equals(f.object()));
        old.add(f);
        updates.add(new Fact(f.subject(), "lives in", b));
        for (WorldFact o : world.knownFacts()) if (o.fact().subject().equals(f.subject()) && !o.fact().equals(f)) others.add(o.fact());
        if (old.size() == 20) break;
      }
      List<Boolean> othersBefore = m.raw(others);
      row.put("known: old raw before", rate(m.raw(old)));
      row.put("known: new chance", rate(m.raw(updates)));
      List<String> classes = m.say(updates.stream().map(f -> f.subject() + " moved to " + f.object() + ".").toList());
      row.put("known: UPDATE", share(classes, "UPDATE"));
      row.put("known: new raw", rate(m.raw(updates)));
      row.put("known: new chat", rate(m.chat(world, updates)));
      row.put("known: old raw", rate(m.raw(old)));
      row.put("known: old chat", rate(m.chat(world, old)));
      List<Boolean> othersAfter = m.raw(others);
      long keptOfRecalled = 0, recalledBefore = 0;
      for (int i = 0; i < others.size(); i++) {
        if (othersBefore.get(i)) {
          recalledBefore++;
          if (othersAfter.get(i)) keptOfRecalled++;
        }
      }
      row.put("known: subjects' other facts kept", keptOfRecalled + "/" + recalledBefore);
    }
  }

  /** The product's wake on a fresh store: what `somnus chat` and `teach` run. */
  private static final class Memory implements AutoCloseable {
    final EmbeddedS3Server s3;
    final S3ObjectStore store;
    final WakeMemory memory;
    final WakeChat chat;
    int turn;

    Memory(SyntheticWorld world, Path base, Path dir) {
      s3 = EmbeddedS3Server.start(dir.resolve("s3"));
      store = S3ObjectStore.open(s3.settings("measure"));
      ModelRegistry registry = new ModelRegistry(store);
      FactLedger ledger = new FactLedger(store);
      WakeMemory.importBase(registry, ledger, base, "import-1");
      memory = new WakeMemory(registry, ledger, dir.resolve("work"), Device.cpu(), world.referenceTexts(300), dir.resolve("cache"));
      PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
      chat = new WakeChat("measure", memory, patterns, new GroundingFirewall(new HashSet<>(patterns.phrases())),
          FactClassifier.forSyntheticWorld(), () -> "wake-" + ++turn, t -> {});
    }

    /** Says the sentences in turns of 5 (as a teach with --batch 5); returns each fact's class. */
    List<String> say(List<String> sentences) {
      List<String> classes = new ArrayList<>();
      for (int i = 0; i < sentences.size(); i += 5) {
        WakeChat.Learned l = chat.learn(String.join("\n", sentences.subList(i, Math.min(sentences.size(), i + 5))));
        for (FactClassifier.Classified c : l.classified()) classes.add(c.change().name());
        if (!l.notWritten().isEmpty()) System.out.println("  not written: " + l.notWritten());
      }
      return classes;
    }

    List<Boolean> raw(List<Fact> facts) {
      RecallProbe p = new RecallProbe(memory.runtime(), 12);
      return facts.stream().map(p::rawRecall).toList();
    }

    List<Boolean> chat(SyntheticWorld world, List<Fact> facts) {
      ModelRuntime rt = memory.runtime();
      RecallProbe p = new RecallProbe(rt, 12);
      List<Boolean> out = new ArrayList<>();
      for (Fact f : facts) {
        String q = SyntheticWorld.TEACHABLE_RELATIONS.stream().filter(r -> r.phrase().equals(f.relation())).findFirst().orElseThrow().question(f.subject());
        out.add(p.chatRecall(f, q));
      }
      return out;
    }

    @Override
    public void close() {
      memory.close();
      store.close();
      s3.close();
    }
  }

  private static List<String> objects(SyntheticWorld world, String relation) {
    return world.knownFacts().stream().map(WorldFact::fact).filter(f -> f.relation().equals(relation)).map(Fact::object)
        .distinct().sorted().collect(Collectors.toList());
  }

  private static String rate(List<Boolean> r) {
    if (r.isEmpty()) return "-";
    return String.format(Locale.ROOT, "%.2f", r.stream().filter(b -> b).count() / (double) r.size());
  }

  private static String share(List<String> classes, String c) {
    return classes.stream().filter(c::equals).count() + "/" + classes.size();
  }
}
