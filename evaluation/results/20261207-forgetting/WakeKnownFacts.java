import ai.djl.Device;
import io.somnus.activities.local.LocalStepSettings;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.sleep.*;
import io.somnus.engine.tiny.*;
import java.nio.file.*;
import java.util.*;

/**
 * In-process: the product's wake write (WakeWrite, as `teach` runs it) of held-out facts of the world on a checkpoint,
 * each group from the base, and the knowledge guard's chat recall (LocalStepSettings.forWorld, as the worker builds it)
 * before and after, with the known facts lost and whether they share a name with a taught subject. From the repository
 * root, after `./somnus --help` built the classpath:
 *   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261207-forgetting/WakeKnownFacts.java \
 *     CHECKPOINT_DIR test|default "20-23/30-33/40-43/50-53"
 * CHECKPOINT_DIR is a copy of the model folder (files linked) carrying the memit.json under test.
 */
public class WakeKnownFacts {
  public static void main(String[] a) throws Exception {
    Path ck = Path.of(a[0]);
    var v = a[1].equals("test") ? SomnusTiny.Variant.TEST : SomnusTiny.Variant.DEFAULT;
    var world = v.world();
    Device cpu = Device.cpu();
    var settings = LocalStepSettings.forWorld(world, cpu);
    var recall = new FactRecall(settings.questions(), settings.recallTokens());
    var validator = new CandidateValidator(settings.validation(), settings.probes(), recall);
    List<Fact> guard = settings.probes().knownFacts();
    MemoryState base = new MemoryState(ck, 0, List.of(), FactStageTable.empty());
    Map<String, Boolean> b;
    try (ComposedModel m = base.load(cpu)) { b = validator.measureKnown(m.runtime(), Progress.NONE); }
    int totLost = 0, totShared = 0, totWritten = 0, totTaught = 0, totRaw = 0, n = 0; double liveSum = 0; int groups = 0;
    for (String g : a[2].split("/")) {
    List<Fact> facts = new ArrayList<>();
    for (String s : g.split(",")) {
      String[] r = s.split("-");
      int from = Integer.parseInt(r[0]), to = r.length > 1 ? Integer.parseInt(r[1]) : from;
      for (int i = from; i <= to; i++) facts.add(world.heldOutFacts().get(i).fact());
    }
    long t0 = System.nanoTime();
    var w = WakeWrite.write(base, facts, world.referenceTexts(LocalStepSettings.KEY_STATISTICS_TEXTS), io.somnus.engine.model.Runtimes.somnusHome().resolve("cache"), cpu);
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Boolean> l; Map<String, Boolean> taught; Map<String, Boolean> raw;
    try (ComposedModel m = w.state().load(cpu)) {
      l = validator.measureKnown(m.runtime(), Progress.NONE);
      taught = recall.chatAll(m.runtime(), facts);
      raw = recall.rawAll(m.runtime(), facts);
    }
    Set<String> names = new HashSet<>();
    for (Fact f : facts) names.addAll(Arrays.asList(f.subject().split(" ")));
    Set<String> objects = new HashSet<>();
    for (Fact f : facts) objects.add(f.object());
    int lost = 0, lostShared = 0, gained = 0;
    for (Fact k : guard) {
      boolean wasOk = b.get(k.id()), nowOk = l.get(k.id());
      if (wasOk && !nowOk) {
        lost++;
        boolean shares = Arrays.stream(k.subject().split(" ")).anyMatch(names::contains);
        if (shares) lostShared++;
        System.out.println("  lost" + (shares ? " [shares name]" : "") + ": " + k.sentence());
      }
      if (!wasOk && nowOk) gained++;
    }
    System.out.printf("RESULT %s facts=%s written=%d wake=%.1fs taughtChat=%.3f taughtRaw=%.3f known base=%.3f live=%.3f lost=%d (sharing a name %d) gained=%d of %d%n",
        ck.getFileName(), g, w.written().size(), secs, FactRecall.rate(taught), FactRecall.rate(raw), FactRecall.rate(b), FactRecall.rate(l), lost, lostShared, gained, guard.size());
    totLost += lost; totShared += lostShared; totWritten += w.written().size(); n += facts.size(); groups++; liveSum += FactRecall.rate(l);
    for (boolean x : taught.values()) if (x) totTaught++;
    for (boolean x : raw.values()) if (x) totRaw++;
    }
    System.out.printf("TOTAL %s groups=%s written=%d/%d taughtChat=%d taughtRaw=%d meanLive=%.3f base=%.3f lost=%d (sharing a name %d)%n",
        ck.getFileName(), a[2], totWritten, n, totTaught, totRaw, liveSum / groups, FactRecall.rate(b), totLost, totShared);
  }
}
