package io.somnus.engine.tiny;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The corpus of the TEST world: what it states, in which contexts, and what it must never contain. */
class SyntheticWorldTest {
  static final SomnusTiny.Variant V = SomnusTiny.Variant.TEST;

  @Test
  void theHeldOutPoolNeverOccursInTheCorpus() {
    SyntheticWorld world = V.world();
    String corpus = String.join("\n", world.corpus(V.corpusPasses()));
    for (String surname : WorldLexicon.HELD_OUT_SURNAMES) assertFalse(corpus.contains(surname), surname);
    for (WorldFact f : world.heldOutFacts()) {
      assertFalse(corpus.contains(f.fact().subject()), f.fact().subject());
      assertFalse(corpus.contains(f.fact().prompt()), f.fact().prompt());
    }
    for (Relation r : List.of(SyntheticWorld.BORN_IN, SyntheticWorld.DRIVES, SyntheticWorld.PLAYS, SyntheticWorld.SUPPORTS)) {
      assertFalse(corpus.contains(" " + r.phrase() + " "), r.phrase());
    }
  }

  @Test
  void everyKnownFactIsStatedAsItsOwnDocumentAndAfterANewline() {
    SyntheticWorld world = V.world();
    List<String> docs = world.corpus(V.corpusPasses());
    Set<String> standalone = new HashSet<>(docs);
    String corpus = String.join("\u0000", docs);
    for (WorldFact f : world.knownFacts()) {
      String s = f.fact().sentence();
      assertTrue(standalone.contains(s), "raw-prompt context: " + s);
      assertTrue(corpus.contains("\n" + s), "line context: " + s);
    }
  }

  @Test
  void theCorpusIsDeterministic() {
    assertEquals(V.world().corpus(2), V.world().corpus(2));
  }
}
