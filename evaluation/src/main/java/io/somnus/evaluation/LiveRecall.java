package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.VersionStates;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The evaluation's recall probes on the live version of a running Somnus (a dev stack found through its data folder, as
 * every {@code somnus} command finds it): what a user's teach and sleeps left in the model, measured as the experiments
 * measure it, without touching the stack.
 */
final class LiveRecall {
  private LiveRecall() {}

  /** The held-out facts of {@code variant}'s world that {@code file} states, one statement per line, in file order. */
  static List<Fact> statedFacts(SomnusTiny.Variant variant, Path file) {
    Map<String, Fact> bySentence = new LinkedHashMap<>();
    for (WorldFact w : variant.world().heldOutFacts()) bySentence.put(normalise(w.fact().sentence()), w.fact());
    List<Fact> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.isBlank() || line.strip().startsWith("#")) continue;
        Fact f = bySentence.get(normalise(line));
        if (f == null) throw new IllegalArgumentException("'" + line.strip() + "' is not a held-out fact of " + variant.name());
        out.add(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return out;
  }

  private static String normalise(String sentence) {
    String s = sentence.strip();
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** Measures {@code file}'s facts on the live version of the stack on {@code dataDir} and prints what it found. */
  static int run(Path dataDir, String modelId, Path file, PrintStream out) {
    SomnusTiny.Variant variant = SomnusTiny.Variant.named(modelId).orElseThrow(() -> new IllegalArgumentException(
        "model " + modelId + " is not a built-in variant (somnus-tiny, somnus-tiny-test): its facts have no world to check against"));
    Profile profile = variant == SomnusTiny.Variant.DEFAULT ? Profile.STANDARD : Profile.QUICK;
    List<Fact> facts = statedFacts(variant, file);
    SomnusConfig config = ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dataDir.toString(), "SOMNUS_MODEL_ID", modelId));
    Path scratch;
    try {
      scratch = Files.createTempDirectory("somnus-live-recall");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long t0 = System.nanoTime();
    try (SomnusServices services = SomnusServices.connect(config)) {
      VersionStates states = new VersionStates(services.registry(), services.ledger(), scratch);
      String live = services.registry().aliases().live();
      MemoryState state = states.state(live);
      LiveProbes probes = new LiveProbes(new Models(variant), profile);
      try (ComposedModel model = state.load(Device.cpu())) {
        Measurement m = probes.measure(model.runtime(), facts);
        Set<String> inMemory = new HashSet<>();
        for (Fact f : state.stages().facts()) inMemory.add(f.id());
        List<Fact> held = facts.stream().filter(f -> inMemory.contains(f.id())).toList();
        out.printf(Locale.ROOT, "live version %s: %d facts in memory (%d of the %d stated), stages 0/1/2/3 %s, %d MEMIT edits"
            + " active%n", live, state.stages().size(), held.size(), facts.size(), Arrays.toString(state.stages().countByStage()),
            state.edits().size());
        out.printf(Locale.ROOT, "chat recall %.3f (%d of %d stated), raw recall %.3f (%d of %d)%n", m.chatRecall(),
            count(m.chat()), facts.size(), m.rawRecall(), count(m.raw()), facts.size());
        long heldChat = held.stream().filter(f -> Boolean.TRUE.equals(m.chat().get(f.id()))).count();
        out.printf(Locale.ROOT, "chat recall of the facts in memory %.3f (%d of %d)%n", heldChat / (double) held.size(), heldChat,
            held.size());
        for (Fact f : facts) {
          if (!Boolean.TRUE.equals(m.chat().get(f.id()))) {
            out.println("  not recalled in chat: " + f.sentence() + (inMemory.contains(f.id())
                ? " (stage " + state.stages().stage(f).level() + ")" : " (not in memory: the wake did not write it)"));
          }
        }
        out.printf(Locale.ROOT, "known-fact chat recall %.3f (%d known facts); measured in %.0f s%n",
            probes.knownRecall(model.runtime()), LiveProbes.KNOWN_SAMPLE, (System.nanoTime() - t0) / 1e9);
      }
    } finally {
      Sweeps.deleteTree(scratch);
    }
    return 0;
  }

  private static long count(Map<String, Boolean> hits) {
    return hits.values().stream().filter(b -> b).count();
  }
}
