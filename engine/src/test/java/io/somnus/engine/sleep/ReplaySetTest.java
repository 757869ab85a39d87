package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import io.somnus.engine.model.ChatMessage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void everyEighthPromptIsADriftAnchorAndNotTrained(@TempDir Path dir) throws Exception {
    List<List<ChatMessage>> prompts = new ArrayList<>();
    for (int i = 0; i < 2 * ReplaySet.ANCHOR_EVERY; i++) prompts.add(List.of(ChatMessage.user("Where does person " + i + " live?")));
    ReplaySet replay = new ReplaySet(prompts, List.of("Mara lives in Lisbon.", "Ana lives in Porto."), 6);
    MemoryState state = new MemoryState(SleepFixtures.checkpoint(dir, 11), 0, List.of(), FactStageTable.empty());
    try (ComposedModel live = state.load(Device.cpu())) {
      Rehearsal r = replay.rehearsal(live.runtime());
      Set<Integer> anchorPrompts = Set.of(ReplaySet.ANCHOR_EVERY - 1, 2 * ReplaySet.ANCHOR_EVERY - 1);
      assertFalse(r.driftAnchors().isEmpty());
      for (QaExample a : r.driftAnchors()) assertTrue(anchorPrompts.contains(promptOf(a, prompts, live)), "anchor from a trained prompt");
      int answers = 0;
      for (QaExample e : r.examples()) {
        int p = promptOf(e, prompts, live);
        if (p < 0) continue;
        answers++;
        assertFalse(anchorPrompts.contains(p), "prompt " + p + " is an anchor but was trained");
      }
      assertTrue(answers > 0, "no prompt answer was trained");
      assertEquals(2, r.examples().size() - answers, "both texts are trained");
    }
  }

  /** The index of the prompt the example's tokens start with, or -1 (a plain text). */
  private static int promptOf(QaExample e, List<List<ChatMessage>> prompts, ComposedModel live) {
    for (int i = 0; i < prompts.size(); i++) {
      long[] p = live.tokenizer().encodeChat(prompts.get(i), true);
      if (e.answerStart() == p.length && Arrays.equals(p, Arrays.copyOf(e.tokens(), p.length))) return i;
    }
    return -1;
  }
}
