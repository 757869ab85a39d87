package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.somnus.engine.memory.Fact;
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

  private static List<ChatMessage> ask(String q) {
    return List.of(ChatMessage.user(q));
  }

  private static final FactQuestions TEMPLATES = f -> List.of(switch (f.relation()) {
    case "lives in" -> "Where does " + f.subject() + " live?";
    case "works as" -> "What does " + f.subject() + " do for a living?";
    default -> "Tell me about " + f.subject() + ".";
  });

  private static final List<List<ChatMessage>> NEIGHBOUR_POOL = List.of(
      ask("What does Selma Choi do for a living?"),   // shares a name
      ask("Where does Ivo Brandt live?"),             // same question, other person
      ask("Where does Selma Choi live?"),             // shares a name and the question
      ask("What does Ivo Brandt do for a living?"),   // nothing in common
      ask("Where does Selma Ostrowski live?"),        // the taught subject itself
      ask("Where does Anton Ostrowski live?"));       // shares the surname and the question

  @Test
  void neighboursShareANameOrTheQuestionAndTheClosestComeFirst() {
    Fact taught = new Fact("Selma Ostrowski", "lives in", "Athens");
    ReplaySet r = pool(3).withNeighbours(NEIGHBOUR_POOL, 4);
    List<List<ChatMessage>> n = r.neighbours(List.of(taught), TEMPLATES);
    assertEquals(Set.of(ask("Where does Selma Choi live?"), ask("Where does Anton Ostrowski live?")), Set.copyOf(n.subList(0, 2)),
        "a shared name and the same question rank first");
    assertEquals(ask("What does Selma Choi do for a living?"), n.get(2), "a shared name outranks the same question");
    assertEquals(ask("Where does Ivo Brandt live?"), n.get(3));
    assertEquals(4, n.size(), "the unrelated prompt and the taught subject's own question are never chosen");
  }

  @Test
  void factsTakeTurnsAndNoPromptIsChosenTwiceOrAlreadyRehearsed() {
    Fact a = new Fact("Selma Ostrowski", "lives in", "Athens");
    Fact b = new Fact("Ivo Vance", "works as", "pilot");
    ReplaySet r = new ReplaySet(List.of(ask("Where does Selma Choi live?")), List.of(), 8).withNeighbours(NEIGHBOUR_POOL, 1);
    List<List<ChatMessage>> n = r.neighbours(List.of(a, b), TEMPLATES);
    assertEquals(List.of(ask("Where does Anton Ostrowski live?"), ask("What does Ivo Brandt do for a living?")), n,
        "one each, the prompt already among the set's prompts skipped");
    assertEquals(List.of(), pool(3).neighbours(List.of(a, b), TEMPLATES), "no pool, no neighbours");
    assertEquals(n, r.window(2, 1).neighbours(List.of(a, b), TEMPLATES), "a window keeps the pool");
  }
}
