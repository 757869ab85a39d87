package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ProbesTest {
  // The default world (600 people): generating it is cheap, no model is loaded.
  private final SyntheticWorld world = SomnusTiny.Variant.DEFAULT.world();

  @Test
  void paraphraseKindsSplitQuestionsFromClozesAndRespectTheLimit() {
    List<WorldFact> taught = Probes.sample(world, 9, 1);
    Probes probes = new Probes(world, 1);
    List<Probe> chat = probes.of(Probe.Kind.CHAT_PARAPHRASE, taught);
    List<Probe> raw = probes.of(Probe.Kind.RAW_PARAPHRASE, taught);
    assertEquals(9, chat.size());
    assertEquals(9, raw.size());
    assertTrue(chat.stream().allMatch(p -> p.text().endsWith("?")));
    assertTrue(raw.stream().noneMatch(p -> p.text().endsWith("?")));
    assertEquals(18, new Probes(world, 2).of(Probe.Kind.CHAT_PARAPHRASE, taught).size());
    // No probe gives its answer away.
    assertTrue(new Probes(world, 2).all(taught).stream().noneMatch(p -> p.text().contains(p.expected())));
  }

  @Test
  void multiHopAnswersFollowTheWorldsRules() {
    Map<String, String> cityOfEmployer = world.knownFacts().stream()
        .collect(Collectors.groupingBy(k -> k.fact().subject())).values().stream()
        .map(fs -> fs.stream().collect(Collectors.toMap(f -> f.fact().relation(), f -> f.fact().object())))
        .collect(Collectors.toMap(m -> m.get("works at"), m -> m.get("lives in"), (a, b) -> a));
    Probes probes = new Probes(world, 0);
    int checked = 0;
    for (WorldFact wf : world.heldOutFacts()) {
      Probe p = probes.multiHop(wf);
      if (wf.fact().relation().equals("works at") && cityOfEmployer.containsKey(wf.fact().object())) {
        assertEquals(cityOfEmployer.get(wf.fact().object()), p.expected());
        assertEquals(SyntheticWorld.LIVES_IN.question(wf.fact().subject()), p.text());
        assertNotEquals(wf.fact().object(), p.expected());
        checked++;
      }
      if (wf.fact().relation().equals("drives a")) assertEquals(null, p);
    }
    assertTrue(checked > 0, "the test world has held-out employers that known people work at");
  }

  @Test
  void samplingIsSeededAndBounded() {
    assertEquals(Probes.sample(world, 5, 3), Probes.sample(world, 5, 3));
    assertNotEquals(Probes.sample(world, 5, 3), Probes.sample(world, 5, 4));
    assertThrows(IllegalArgumentException.class, () -> Probes.sample(world, world.heldOutFacts().size() + 1, 1));
  }

  @Test
  void scoringIsCaseInsensitiveContainment() {
    Probe p = new Probe(world.heldOutFacts().get(0).fact(), Probe.Kind.RAW, "x", "Lisbon");
    assertTrue(p.correct(" lisbon."));
    assertFalse(p.correct(" Lisb"));
  }
}
