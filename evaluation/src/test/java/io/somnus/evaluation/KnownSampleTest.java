package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The known facts whose recall the experiments track: a fixed sample that no fixed rehearsal prompt or probe asks. */
class KnownSampleTest {
  @Test
  void theSampleIsFixedKnownAndDisjointFromWhatASleepAsksAnyway() {
    SyntheticWorld world = SomnusTiny.Variant.TEST.world();
    List<WorldFact> all = LiveProbes.knownSample(world, List.of());
    assertEquals(LiveProbes.KNOWN_SAMPLE, all.size());
    assertEquals(LiveProbes.KNOWN_SAMPLE, new HashSet<>(all).size(), "no fact twice");
    assertTrue(world.knownFacts().containsAll(all), "only facts the corpus states");
    assertEquals(all, LiveProbes.knownSample(SomnusTiny.Variant.TEST.world(), List.of()), "the same sample every time");

    // Leave out the questions of the first ten: they are replaced, the rest of the sample stays as it was.
    List<List<ChatMessage>> asked = new ArrayList<>();
    for (WorldFact k : all.subList(0, 10)) asked.add(List.of(ChatMessage.user(k.question())));
    List<WorldFact> without = LiveProbes.knownSample(world, asked);
    assertEquals(LiveProbes.KNOWN_SAMPLE, without.size());
    for (WorldFact k : all.subList(0, 10)) assertFalse(without.contains(k), k.question());
    assertEquals(all.subList(10, LiveProbes.KNOWN_SAMPLE), without.subList(0, LiveProbes.KNOWN_SAMPLE - 10));
  }
}
