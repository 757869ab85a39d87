package io.somnus.engine.sleep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Checkpoint;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SleepTrainingTest {
  @Test
  void theSecondWeightStateIsTheScalesTheGateGivesWhenEveryFactPasses() {
    MemitEdit fresh = FactStageTableTest.edit("e1", FactStageTableTest.A, FactStageTableTest.B);
    MemitEdit older = FactStageTableTest.edit("e2", FactStageTableTest.C);
    FactStageTable stages = FactStageTable.of(List.of(fresh, older))
        .afterGate(Map.of(FactStageTableTest.C.id(), true)).table()
        .afterGate(Map.of(FactStageTableTest.C.id(), true)).table();
    MemoryState state = new MemoryState(Path.of("unused"), 2, List.of(fresh, older), stages);
    assertEquals(Map.of("e1", 1.0f, "e2", 0.1f), state.scales());
    // One stage on for every fact: the fresh edit halves, the nearly consolidated one dissolves.
    assertEquals(Map.of("e1", 0.5f, "e2", 0.0f), SleepTraining.scalesAfterAllPass(state));
    assertEquals(state.scales(), Map.of("e1", 1.0f, "e2", 0.1f), "the state itself is unchanged");
  }

  @Test
  void aSleepRehearsesWhatItsFusedWeightsAnswerNotWhatTheWakesEditsMadeOfIt(@TempDir Path dir) throws Exception {
    Path base = SleepFixtures.checkpoint(dir, 31);
    List<Fact> taught = SleepFixtures.FACTS.subList(0, 2);
    // A loud edit moves the random model's answers, as a wake write moves some answers it was not meant to touch.
    MemitEdit loud = SleepFixtures.randomEdit("loud", taught, 7, 1.0);
    MemoryState state = new MemoryState(base, 0, List.of(loud), FactStageTable.of(List.of(loud)));
    String aboutTaught = SleepFixtures.QUESTIONS.canonical(taught.get(0));
    ReplaySet replay = new ReplaySet(List.of(List.of(ChatMessage.user("Who are you?")),
        List.of(ChatMessage.user("Where is the river?")), List.of(ChatMessage.user(aboutTaught))), List.of(), 8);
    try (ComposedModel live = state.load(Device.cpu());
        ComposedModel fusedOnly = ComposedModel.load(base, List.of(), Map.of(), Device.cpu())) {
      List<QaExample> got = SleepTraining.rehearsal(replay, state, Checkpoint.load(base), taught, SleepFixtures.QUESTIONS,
          Device.cpu());
      List<QaExample> fromFused = replay.examples(fusedOnly.runtime(), taught, SleepFixtures.QUESTIONS);
      List<QaExample> fromLive = replay.examples(live.runtime(), taught, SleepFixtures.QUESTIONS);
      assertEquals(2, got.size(), "the prompt about a taught subject is not rehearsed");
      assertNotEquals(tokens(fromFused), tokens(fromLive), "precondition: the edit changes what the model answers");
      assertEquals(tokens(fromFused), tokens(got));
    }
  }

  private static List<List<Long>> tokens(List<QaExample> examples) {
    return examples.stream().map(e -> Arrays.stream(e.tokens()).boxed().toList()).toList();
  }
}
