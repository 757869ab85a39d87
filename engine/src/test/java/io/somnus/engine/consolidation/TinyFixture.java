package io.somnus.engine.consolidation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The somnus-tiny TEST build (cached after its first build) and facts from its world. */
final class TinyFixture {
  static final SomnusTiny.Variant VARIANT = SomnusTiny.Variant.TEST;
  static final SyntheticWorld WORLD = VARIANT.world();

  private TinyFixture() {}

  static Path checkpoint() {
    return SomnusTiny.ensure(VARIANT);
  }

  static List<Fact> heldOut(int from, int count) {
    List<Fact> out = new ArrayList<>();
    for (WorldFact wf : WORLD.heldOutFacts().subList(from, from + count)) out.add(wf.fact());
    return out;
  }

  static List<Fact> known(int count, long seed) {
    List<Fact> out = new ArrayList<>();
    for (WorldFact wf : WORLD.sampleKnown(count, seed)) out.add(wf.fact());
    return out;
  }
}
