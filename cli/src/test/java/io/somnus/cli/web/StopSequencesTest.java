package io.somnus.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopSequencesTest {
  @Test
  void textThatMayStartAStopStringIsHeldUntilTheNextPieceDecides() {
    StopSequences stop = new StopSequences(List.of("User:"));
    assertEquals("Lisbon. ", stop.accept("Lisbon. Us"));
    assertFalse(stop.stopped());
    assertEquals("Usual", stop.accept("ual"), "not the stop string after all: handed out");
    assertEquals(" ", stop.accept(" U"));
    assertEquals("", stop.accept("ser: more"));
    assertTrue(stop.stopped());
    assertEquals("", stop.accept("anything"), "nothing after the stop string");
    assertEquals("", stop.flush());
  }

  @Test
  void theEarliestOfSeveralStopStringsCutsAndAnUnfinishedPrefixIsFlushedAtTheEnd() {
    StopSequences stop = new StopSequences(List.of("\n\n", "END"));
    assertEquals("a", stop.accept("aEND\n\nb"));
    StopSequences open = new StopSequences(List.of("END"));
    assertEquals("the E", open.accept("the E") + open.flush(), "the answer ended inside what looked like a stop string");
  }
}
