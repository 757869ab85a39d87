package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.somnus.engine.model.ChatMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplaySetTest {
  private static ReplaySet pool(int texts) {
    List<String> t = new ArrayList<>();
    for (int i = 0; i < texts; i++) t.add("text " + i);
    return new ReplaySet(List.of(List.of(ChatMessage.user("What is your name?"))), t, 8);
  }

  @Test
  void successiveWindowsAreDisjointUntilThePoolIsUsedUp() {
    ReplaySet r = pool(9);
    Set<String> seen = new HashSet<>();
    for (int k = 0; k < 3; k++) {
      ReplaySet w = r.window(k, 3);
      assertEquals(3, w.texts().size());
      assertEquals(r.prompts(), w.prompts());
      assertEquals(r.answerTokens(), w.answerTokens());
      for (String t : w.texts()) assertEquals(true, seen.add(t), "window " + k + " repeats " + t);
    }
    assertEquals(r.window(0, 3), r.window(3, 3), "the fourth window wraps to the first");
  }

  @Test
  void aWindowThatDoesNotDivideThePoolWrapsAround() {
    // Window 5 of size 4 starts at text 20 mod 7 = 6.
    assertEquals(List.of("text 6", "text 0", "text 1", "text 2"), pool(7).window(5, 4).texts());
  }

  @Test
  void aPoolNoLargerThanTheWindowIsUsedWhole() {
    ReplaySet r = pool(3);
    assertSame(r, r.window(4, 3));
    assertSame(r, r.window(0, 10));
  }

  @Test
  void rejectsANegativeIndexOrEmptyWindow() {
    assertThrows(IllegalArgumentException.class, () -> pool(9).window(-1, 3));
    assertThrows(IllegalArgumentException.class, () -> pool(9).window(0, 0));
  }
}
