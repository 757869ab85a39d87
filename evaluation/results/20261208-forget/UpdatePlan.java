// After the taught facts of TAUGHT_FILE have slept: picks what a user then corrects and forgets, and writes the files
// run-update-forget.sh feeds to `teach` and `forget` and FactProbe measures, into OUT_DIR:
//   update.txt      "Actually, <subject> <relation> <new object>." for 10 consolidated (stage 3) taught facts of
//                   single-valued relations, and "<person> moved to <city>." for 10 people whose home the base model states
//   forget-ids.txt  10 other consolidated taught facts
//   old-taught.txt new-taught.txt old-known.txt new-known.txt forgotten.txt untouched.txt   (statements, for FactProbe)
//   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261208-forget/UpdatePlan.java DATA_DIR TAUGHT_FILE OUT_DIR
import ai.djl.Device;
import io.somnus.cli.wake.PatternFactExtractor;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusServices;
import io.somnus.store.ModelVersion;
import io.somnus.store.VersionStates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

public class UpdatePlan {
  static final int N = 10;

  public static void main(String[] a) throws Exception {
    Path data = Path.of(a[0]), out = Path.of(a[2]);
    SyntheticWorld world = SomnusTiny.Variant.DEFAULT.world();
    PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
    List<Fact> taught = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(a[1]))) if (!line.isBlank()) taught.addAll(patterns.extract(line.strip()));
    Set<String> single = new LinkedHashSet<>();
    for (Relation r : SyntheticWorld.CORPUS_RELATIONS) if (r.singleValued()) single.add(r.phrase());
    for (Relation r : SyntheticWorld.TEACHABLE_RELATIONS) if (r.singleValued()) single.add(r.phrase());
    // objects the model can write: those of the world's known facts, most frequent first
    Map<String, List<String>> objects = world.knownFacts().stream().map(WorldFact::fact).collect(Collectors.groupingBy(Fact::relation,
        Collectors.collectingAndThen(Collectors.groupingBy(Fact::object, Collectors.counting()), m -> m.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
            .map(Map.Entry::getKey).toList())));
    try (SomnusServices services = SomnusServices.connect(ConfigLoader.load(null).withDataDir(data))) {
      VersionStates versions = ProductSteps.versionStates(services);
      ModelVersion live = versions.version(services.registry().aliases().live());
      FactStageTable table = versions.stages(live.id());
      List<Fact> consolidated = taught.stream().filter(f -> table.entry(f).map(e -> e.stage() == FactStage.CONSOLIDATED).orElse(false)).toList();
      List<Fact> oldTaught = new ArrayList<>(), newTaught = new ArrayList<>(), forgotten = new ArrayList<>();
      for (Fact f : consolidated) {
        List<String> others = objects.getOrDefault(f.relation(), List.of()).stream().filter(o -> !o.equals(f.object())).toList();
        if (oldTaught.size() < N && single.contains(f.relation()) && !others.isEmpty()) {
          oldTaught.add(f);
          newTaught.add(new Fact(f.subject(), f.relation(), others.get(oldTaught.size() % Math.min(3, others.size()))));
        } else if (forgotten.size() < N) {
          forgotten.add(f);
        }
      }
      List<Fact> untouched = taught.stream().filter(f -> table.entry(f).isPresent() && !oldTaught.contains(f) && !forgotten.contains(f)).toList();
      List<Fact> oldKnown = new ArrayList<>(), newKnown = new ArrayList<>();
      try (ComposedModel m = versions.state(live).load(Device.cpu())) {
        RecallProbe probe = new RecallProbe(m.runtime(), 8);
        List<String> cities = objects.get("lives in");
        for (WorldFact w : world.knownFacts()) {
          Fact f = w.fact();
          if (!f.relation().equals("lives in") || !probe.rawRecall(f)) continue;
          oldKnown.add(f);
          newKnown.add(new Fact(f.subject(), f.relation(), cities.stream().filter(c -> !c.equals(f.object())).toList().get(oldKnown.size() % 3)));
          if (oldKnown.size() == N) break;
        }
      }
      List<String> update = new ArrayList<>();
      for (Fact f : newTaught) update.add("Actually, " + f.sentence());
      for (Fact f : newKnown) update.add(f.subject() + " moved to " + f.object() + ".");
      Files.createDirectories(out);
      Files.write(out.resolve("update.txt"), update);
      Files.write(out.resolve("forget-ids.txt"), forgotten.stream().map(Fact::id).toList());
      Function<List<Fact>, List<String>> sentences = l -> l.stream().map(Fact::sentence).toList();
      Files.write(out.resolve("old-taught.txt"), sentences.apply(oldTaught));
      Files.write(out.resolve("new-taught.txt"), sentences.apply(newTaught));
      Files.write(out.resolve("old-known.txt"), sentences.apply(oldKnown));
      Files.write(out.resolve("new-known.txt"), sentences.apply(newKnown));
      Files.write(out.resolve("forgotten.txt"), sentences.apply(forgotten));
      Files.write(out.resolve("untouched.txt"), sentences.apply(untouched));
      System.out.printf("consolidated %d of %d taught: %d taught updates, %d known updates, %d to forget, %d untouched%n",
          consolidated.size(), taught.size(), newTaught.size(), newKnown.size(), forgotten.size(), untouched.size());
    }
  }
}
