// What the live model of a data folder answers to the facts of FACTS_FILE (one statement a line, as `teach --file`
// reads them), and their stages; with --base, what the base model (the lineage root) answers. Run from a built clone:
//   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261208-forget/FactProbe.java DATA_DIR FACTS_FILE [--base]
// One line per fact (id, stage or "-" when not held, raw, chat naming the object, chat exact, the two answers), then
// the rates, then the ids of the facts at stage 3 on a line starting "stage3:".
import ai.djl.Device;
import io.somnus.cli.wake.PatternFactExtractor;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusServices;
import io.somnus.store.ModelVersion;
import io.somnus.store.VersionStates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class FactProbe {
  public static void main(String[] a) throws Exception {
    Path data = Path.of(a[0]);
    boolean base = a.length > 2 && a[2].equals("--base");
    PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
    List<Fact> facts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(a[1]))) if (!line.isBlank()) facts.addAll(patterns.extract(line.strip()));
    List<Relation> relations = new ArrayList<>(SyntheticWorld.CORPUS_RELATIONS);
    relations.addAll(SyntheticWorld.TEACHABLE_RELATIONS);
    try (SomnusServices services = SomnusServices.connect(ConfigLoader.load(null).withDataDir(data))) {
      VersionStates versions = ProductSteps.versionStates(services);
      ModelVersion v = versions.version(services.registry().aliases().live());
      FactStageTable table = versions.stages(v.id());
      if (base) while (v.parentId() != null) v = versions.version(v.parentId());
      int raw = 0, chatObject = 0, chatExact = 0;
      List<String> stage3 = new ArrayList<>();
      try (ComposedModel m = versions.state(v).load(Device.cpu())) {
        ModelRuntime rt = m.runtime();
        for (Fact f : facts) {
          String stage = table.entry(f).map(e -> Integer.toString(e.stage().level())).orElse("-");
          if (stage.equals("3")) stage3.add(f.id());
          Relation r = relations.stream().filter(x -> x.phrase().equals(f.relation())).findFirst().orElseThrow();
          String completion = rt.complete(f.prompt(), GenerationOptions.greedy(12)).strip().replace('\n', ' ');
          String answer = rt.chat(List.of(new ChatMessage("user", r.question(f.subject()))), GenerationOptions.greedy(24)).strip()
              .replace('\n', ' ');
          boolean hitRaw = completion.contains(f.object()), hitChat = answer.contains(f.object()), exact = FactRecall.exact(answer, f);
          raw += hitRaw ? 1 : 0;
          chatObject += hitChat ? 1 : 0;
          chatExact += exact ? 1 : 0;
          System.out.printf("%s stage %s raw %d chat %d exact %d | %-44s | %s | %s%n", f.id(), stage, hitRaw ? 1 : 0, hitChat ? 1 : 0,
              exact ? 1 : 0, f.sentence(), completion, answer);
        }
      }
      int n = facts.size();
      System.out.printf("%s version %s: %d facts, raw %.3f, chat (object) %.3f, chat (exact) %.3f%n", base ? "base" : "live", v.id(), n,
          raw / (double) n, chatObject / (double) n, chatExact / (double) n);
      System.out.println("stage3: " + String.join(" ", stage3));
    }
  }
}
