package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class Bm25FactIndexTest {
  private static final List<String> SENTENCES = List.of(
      "Mara Okafor lives in Lisbon.", "Tomas Berg drives a Volvo.", "Mara Lindqvist plays the cello.",
      "Ines Okafor works at Blue Harbor.", "Tomas Lindqvist supports Porto.");

  @Test
  void theSubjectsOwnSentenceRanksFirst() {
    try (Bm25FactIndex idx = new Bm25FactIndex(SENTENCES)) {
      assertEquals("Tomas Berg drives a Volvo.", idx.search("What car does Tomas Berg drive?", 3).get(0));
      assertEquals("Mara Lindqvist plays the cello.", idx.search("Which instrument does Mara Lindqvist play?", 1).get(0));
      // Both words of the name beat one shared word.
      List<String> top = idx.search("Where does Mara Okafor live?", 3);
      assertEquals("Mara Okafor lives in Lisbon.", top.get(0));
      assertTrue(top.size() <= 3);
    }
  }

  @Test
  void queryWithQueryParserSyntaxIsTakenLiterally() {
    try (Bm25FactIndex idx = new Bm25FactIndex(SENTENCES)) {
      assertEquals("Tomas Berg drives a Volvo.", idx.search("Tomas AND (Berg) OR \"drive*\"?", 1).get(0));
    }
  }

  @Test
  void badInputIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Bm25FactIndex(List.of()));
    try (Bm25FactIndex idx = new Bm25FactIndex(SENTENCES)) {
      assertThrows(IllegalArgumentException.class, () -> idx.search("Tomas", 0));
      assertTrue(idx.search("nothing matches zzz", 3).isEmpty());
    }
  }
}
