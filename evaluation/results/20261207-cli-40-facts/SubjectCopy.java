// Run from the repository root after a build:
//   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261207-cli-40-facts/SubjectCopy.java 200 240
import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.WakeWrite;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.nio.file.Path;
import java.util.List;

/** Chat answers to facts' questions on the base model and with the fact's one-fact MEMIT edit on: is the subject intact? */
public class SubjectCopy {
  public static void main(String[] a) {
    Path model = SomnusTiny.ensure(SomnusTiny.Variant.DEFAULT);
    SyntheticWorld world = SomnusTiny.Variant.DEFAULT.world();
    List<String> texts = world.referenceTexts(io.somnus.activities.local.LocalStepSettings.KEY_STATISTICS_TEXTS);
    int from = Integer.parseInt(a[0]), to = Integer.parseInt(a[1]);
    int baseIntact = 0, editIntact = 0, n = 0;
    MemoryState empty = new MemoryState(model, 0, List.of(), FactStageTable.empty());
    for (WorldFact w : world.heldOutFacts().subList(from, to)) {
      WakeWrite.Result r = WakeWrite.write(empty, List.of(w.fact()), texts, Path.of("/tmp/kl/cache"), Device.cpu());
      if (r.written().isEmpty()) continue;
      n++;
      String base, edited;
      try (ComposedModel m = empty.load(Device.cpu())) { base = new RecallProbe(m.runtime(), 12).answer(w.question()); }
      try (ComposedModel m = r.state().load(Device.cpu())) { edited = new RecallProbe(m.runtime(), 12).answer(w.question()); }
      boolean b = base.startsWith(w.fact().subject()), e = edited.startsWith(w.fact().subject());
      if (b) baseIntact++;
      if (e) editIntact++;
      System.out.printf("%-40s base %-7s edit %-7s | %s | %s%n", w.fact().sentence(), b ? "intact" : "MANGLED", e ? "intact" : "MANGLED",
          base.replace('\n', ' '), edited.replace('\n', ' '));
    }
    System.out.println("facts " + n + ": subject intact in chat, base " + baseIntact + ", with the fact's edit " + editIntact);
  }
}
