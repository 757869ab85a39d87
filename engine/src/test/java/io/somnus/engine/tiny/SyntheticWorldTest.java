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
    // With copy drills: their made-up surnames must not reach the held-out pool either.
    String corpus = String.join("\n", world.corpus(V.corpusPasses(), 2));
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
    assertEquals(V.world().corpus(2, 1), V.world().corpus(2, 1));
  }

  @Test
  void copyDrillsAskAboutStrangersWhoseNameTheAnswerRepeats() {
    SyntheticWorld world = V.world();
    List<String> plain = world.corpus(1);
    List<String> drilled = world.corpus(1, 1);
    assertEquals(V.people(), drilled.size() - plain.size(), "one drill per person and pass");
    Set<String> before = new HashSet<>(plain);
    Set<String> known = new HashSet<>();
    for (WorldFact f : world.knownFacts()) known.add(f.fact().subject());
    int drills = 0;
    for (String d : drilled) {
      if (before.contains(d)) continue;
      drills++;
      // user turn, then the assistant's statement that begins with the same full name
      String question = d.substring(d.indexOf("<|im_start|>user\n") + 17, d.indexOf("<|im_end|>"));
      String answer = d.substring(d.indexOf("<|im_start|>assistant\n") + 22, d.lastIndexOf("<|im_end|>"));
      String name = answer.split(" ")[0] + " " + answer.split(" ")[1];
      assertTrue(question.contains(name), d);
      assertFalse(known.contains(name), "a stranger, not one of the world's people: " + name);
    }
    assertEquals(V.people(), drills);
  }

  @Test
  void anInventedSurnameIsNeverOneOfTheWorldsNorContainsOne() {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    for (int i = 0; i < 2000; i++) {
      String s = SyntheticWorld.inventedSurname(rng);
      assertTrue(Character.isUpperCase(s.charAt(0)), s);
      for (String other : WorldLexicon.SURNAMES) assertFalse(s.contains(other), s);
      for (String other : WorldLexicon.HELD_OUT_SURNAMES) assertFalse(s.contains(other), s);
    }
  }
}
