package io.somnus.cli.wake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.memory.Fact;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FactIntakeTest {
  private final PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
  private final GroundingFirewall firewall = new GroundingFirewall(new HashSet<>(patterns.phrases()));

  @Test
  void statementsBecomeFactsAndEverythingElseDoesNot() {
    String said = "Hi! Mara Okafor lives in Lisbon. She works as a nurse. Where does Tom live?\n"
        + "Jonas de Vries has a pet named Biscuit!  Ida Berg  was born in   Oslo.  I think Ana does not live in Rome."
        + " Tom Hale drives a Volvo";
    List<Fact> facts = patterns.extract(said);
    assertEquals(List.of(
        new Fact("Mara Okafor", "lives in", "Lisbon"),
        new Fact("Jonas de Vries", "has a pet named", "Biscuit"),
        new Fact("Ida Berg", "was born in", "Oslo"),
        new Fact("Tom Hale", "drives a", "Volvo")), facts);
    assertTrue(facts.stream().noneMatch(f -> f.subject().equals("She")), "pronoun subjects are not facts");
    assertTrue(facts.stream().noneMatch(f -> f.object().contains("Rome")), "negated statements are not facts");
    assertEquals(facts, firewall.screen(facts, said).admitted(), "pattern facts are grounded by construction");
  }

  @Test
  void correctionsChangesAndRetractionsAreRead() {
    String said = "Actually, Mara Okafor works as a nurse. Tom Hale moved to Berlin. Ida Berg now lives in Oslo.\n"
        + "In fact Jonas de Vries supports Porto. Ana Ruiz no longer lives in Rome. Ana Ruiz does not live in Madrid.";
    assertEquals(List.of(
        new Fact("Mara Okafor", "works as", "a nurse"),
        new Fact("Tom Hale", "lives in", "Berlin"),
        new Fact("Ida Berg", "lives in", "Oslo"),
        new Fact("Jonas de Vries", "supports", "Porto")), patterns.extract(said));
    List<Fact> retracted = patterns.retractions(said);
    assertEquals(List.of(new Fact("Ana Ruiz", "lives in", "Rome")), retracted);
    assertEquals(patterns.extract(said), firewall.screen(patterns.extract(said), said).admitted(), "updates are grounded");
    assertEquals(retracted, firewall.screenRetractions(retracted, said).admitted(), "a retraction is grounded by its \"no longer\"");
    GroundingFirewall.Intake notSaid = firewall.screenRetractions(List.of(new Fact("Mara Okafor", "works as", "a nurse")), said);
    assertTrue(notSaid.admitted().isEmpty(), "a stated fact is not a retraction");
    List<String> unused = patterns.unused(said).stream().map(FactExtractor.Unused::sentence).toList();
    assertEquals(List.of("Ana Ruiz does not live in Madrid."), unused, "only the plain negation gives nothing");
  }

  @Test
  void aModelListsRetractionsBesideFactsInOneCallAndTheyAreScreenedToo() {
    String said = "Lena Park moved to Busan. Lena Park no longer lives in Seoul.";
    int[] calls = {0};
    ModelFactExtractor model = new ModelFactExtractor(messages -> {
      calls[0]++;
      assertTrue(messages.get(0).content().contains("no_longer"), "the prompt asks for retractions");
      return "[{\"subject\":\"Lena Park\",\"relation\":\"lives in\",\"object\":\"Busan\"},"
          + "{\"subject\":\"Lena Park\",\"relation\":\"lives in\",\"object\":\"Seoul\",\"no_longer\":true},"
          + "{\"subject\":\"Lena Park\",\"relation\":\"lives in\",\"object\":\"Daegu\",\"no_longer\":true}]";
    }, patterns.phrases());
    assertEquals(List.of(new Fact("Lena Park", "lives in", "Busan")), model.extract(said));
    List<Fact> retracted = model.retractions(said);
    assertEquals(List.of(new Fact("Lena Park", "lives in", "Seoul"), new Fact("Lena Park", "lives in", "Daegu")), retracted);
    assertEquals(1, calls[0], "one model call per message");
    assertEquals(List.of(new Fact("Lena Park", "lives in", "Seoul")), firewall.screenRetractions(retracted, said).admitted(),
        "an invented retraction is refused");
  }

  @Test
  void firewallRejectsWhatTheUserDidNotSay() {
    String said = "Mara Okafor lives in Lisbon. Does Tom Hale play the cello? Ana Ruiz does not support Porto.";
    List<Fact> candidates = List.of(
        new Fact("Mara Okafor", "lives in", "Lisbon"),        // stated
        new Fact("Mara Okafor", "lives in", "Porto"),         // invented object
        new Fact("Mara Okafor", "works as", "nurse"),         // invented object
        new Fact("Tom Hale", "plays the", "cello"),           // only asked about
        new Fact("Ana Ruiz", "supports", "Porto"),            // negated
        new Fact("Mara", "lives in", "Lis"),                  // partial words
        new Fact("She", "lives in", "Lisbon"),                // pronoun
        new Fact("Mara Okafor", "owns", "Lisbon"));           // relation not learnable
    GroundingFirewall.Intake in = firewall.screen(candidates, said);
    assertEquals(List.of(new Fact("Mara Okafor", "lives in", "Lisbon")), in.admitted());
    assertEquals(7, in.rejected().size());
    Set<String> reasons = new HashSet<>();
    in.rejected().forEach(v -> reasons.add(v.reason()));
    assertTrue(reasons.stream().anyMatch(r -> r.contains("asks about it")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("negates")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("pronoun")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("not one this model learns")), reasons.toString());
  }

  @Test
  void modelOutputIsParsedDefensivelyAndStillScreened() {
    String said = "By the way, Lena Park speaks Korean and she was born in Busan.";
    ModelFactExtractor model = new ModelFactExtractor(messages -> {
      assertTrue(messages.get(0).content().contains("speaks"), "prompt names the allowed relations");
      return "Sure! [{\"subject\":\"Lena Park\",\"relation\":\"speaks\",\"object\":\"Korean\"},"
          + "{\"subject\":\"Lena Park\",\"relation\":\"was born in\",\"object\":\"Seoul\"},"
          + "{\"subject\":\"Lena Park\",\"relation\":\"likes\",\"object\":\"Busan\"},"
          + "{\"subject\":\"\",\"relation\":\"speaks\",\"object\":\"x\"}, 42]";
    }, patterns.phrases());
    List<Fact> candidates = model.extract(said);
    assertEquals(List.of(new Fact("Lena Park", "speaks", "Korean"), new Fact("Lena Park", "was born in", "Seoul")), candidates,
        "unknown relations, blanks and non-objects dropped");
    assertEquals(List.of(new Fact("Lena Park", "speaks", "Korean")), firewall.screen(candidates, said).admitted(),
        "the hallucinated birthplace is not in the user's words");

    assertEquals(List.of(), new ModelFactExtractor(m -> "[{\"subject\": oops", patterns.phrases()).extract(said));
    assertEquals(List.of(), new ModelFactExtractor(m -> "I found nothing.", patterns.phrases()).extract(said));
  }

  /** A statement that gives no fact is never dropped without a word: teach prints each with why. */
  @Test
  void everyStatementThatGivesNoFactSaysWhy() {
    PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
    String said = "Mara Okafor lives in Lisbon. She works as a nurse. Mara Okafor flew to Porto. Where does Tom live?\n"
        + "Ida Berg lives in " + "a very long place name that goes on and on well past any object a fact may hold.";
    List<FactExtractor.Unused> unused = patterns.unused(said);
    assertEquals(List.of("She works as a nurse.", "Mara Okafor flew to Porto.",
        "Ida Berg lives in a very long place name that goes on and on well past any object a fact may hold."),
        unused.stream().map(FactExtractor.Unused::sentence).toList(), "the question is not a statement; the fact is used");
    assertTrue(unused.get(0).reason().contains("name the person"), unused.get(0).reason());
    assertTrue(unused.get(1).reason().contains("not a statement Somnus can store") && unused.get(1).reason().contains("lives in"),
        unused.get(1).reason());
    assertTrue(unused.get(2).reason().contains("characters long"), unused.get(2).reason());
  }
}
