// What the live model of a data folder answers to held-out facts FROM..TO of somnus-tiny's world, and those facts' stages;
// with --base, what the base model (the lineage root) answers: the held-out baseline. Run from a built clone's root:
//   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261208-forget/ForgetProbe.java DATA_DIR FROM TO [--base]
// Prints one line per fact (stage, raw, chat-object, chat-exact, and the answers) and the rates, then the ids of the
// facts at stage 3 on a line starting "stage3:".
import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.ProductSteps;
import io.somnus.store.ModelVersion;
import io.somnus.store.VersionStates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class ForgetProbe {
  public static void main(String[] a) throws Exception {
    Path data = Path.of(a[0]);
    int from = Integer.parseInt(a[1]), to = Integer.parseInt(a[2]);
    boolean base = a.length > 3 && a[3].equals("--base");
    List<WorldFact> facts = SomnusTiny.Variant.DEFAULT.world().heldOutFacts().subList(from, to);
    try (SomnusServices services = SomnusServices.connect(ConfigLoader.load(null).withDataDir(data))) {
      VersionStates versions = ProductSteps.versionStates(services);
      ModelVersion v = versions.version(services.registry().aliases().live());
      FactStageTable table = versions.stages(v.id());
      if (base) while (v.parentId() != null) v = versions.version(v.parentId());
      int raw = 0, chatObject = 0, chatExact = 0;
      List<String> stage3 = new ArrayList<>();
      try (ComposedModel m = versions.state(v).load(Device.cpu())) {
        ModelRuntime rt = m.runtime();
        for (WorldFact w : facts) {
          Fact f = w.fact();
          String stage = table.entry(f).map(e -> Integer.toString(e.stage().level())).orElse("-");
          if (stage.equals("3")) stage3.add(f.id());
          String completion = rt.complete(f.prompt(), GenerationOptions.greedy(12)).strip().replace('\n', ' ');
          String answer = rt.chat(List.of(new ChatMessage("user", w.question())), GenerationOptions.greedy(24)).strip().replace('\n', ' ');
          boolean r = completion.contains(f.object()), co = answer.contains(f.object()), ce = FactRecall.exact(answer, f);
          raw += r ? 1 : 0;
          chatObject += co ? 1 : 0;
          chatExact += ce ? 1 : 0;
          System.out.printf("%s stage %s raw %d chat %d exact %d | %-42s | %s | %s%n", f.id(), stage, r ? 1 : 0, co ? 1 : 0, ce ? 1 : 0,
              f.sentence(), completion, answer);
        }
      }
      int n = facts.size();
      System.out.printf("%s version %s: %d facts, raw %.3f, chat (object) %.3f, chat (exact) %.3f%n", base ? "base" : "live", v.id(), n,
          raw / (double) n, chatObject / (double) n, chatExact / (double) n);
      System.out.println("stage3: " + String.join(" ", stage3));
    }
  }
}
