package io.somnus.activities.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The knowledge guard's known facts are held out of everything a sleep trains on, and reach across names and relations. */
class KnowledgeGuardSampleTest {
  @Test
  void theGuardIsNeverRehearsedAndCoversEveryRelationAndManyFirstNames() {
    SyntheticWorld world = SomnusTiny.Variant.DEFAULT.world();
    LocalStepSettings settings = LocalStepSettings.forWorld(world, Device.cpu());
    List<Fact> guard = settings.probes().knownFacts();
    assertEquals(40, LocalStepSettings.knowledgeGuardPerRelation(world), "somnus-tiny's 600 people: the full sample");
    assertEquals(10, LocalStepSettings.knowledgeGuardPerRelation(SomnusTiny.Variant.TEST.world()), "the test world's 60: fewer");
    assertEquals(SyntheticWorld.CORPUS_RELATIONS.size() * LocalStepSettings.GUARDED_FACTS_PER_RELATION_CAP, guard.size());
    for (var r : SyntheticWorld.CORPUS_RELATIONS) {
      assertEquals(LocalStepSettings.GUARDED_FACTS_PER_RELATION_CAP, guard.stream().filter(f -> f.relation().equals(r.phrase())).count(), r.phrase());
    }
    Set<String> firstNames = new HashSet<>();
    guard.forEach(f -> firstNames.add(f.subject().split(" ")[0]));
    assertTrue(firstNames.size() >= 30, "spread over first names, where taught facts leak: " + firstNames.size());

    Set<List<ChatMessage>> rehearsed = new HashSet<>(settings.replay().prompts());
    rehearsed.addAll(settings.replay().neighbourPool());
    rehearsed.addAll(settings.probes().behaviourPrompts());
    for (Fact f : guard) {
      List<ChatMessage> asked = List.of(ChatMessage.user(settings.probes().knownQuestions().canonical(f)));
      assertFalse(rehearsed.contains(asked), "never rehearsed nor a behaviour prompt: " + asked);
    }
  }
}
