package io.somnus.activities.local;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.activities.BadStepInputException;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.S3ObjectStore;
import io.somnus.store.VersionStates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sleep that trains again after a refused candidate runs TrainLora, FuseToTemp and Validate twice under one run id.
 * Each attempt's result is journaled apart, so a step retried after a worker crash resumes its own attempt and a
 * retry never picks up the refused attempt's adapter.
 */
class AttemptJournalTest {
  @TempDir Path dir;

  @Test
  void theFirstAttemptKeepsThePlainStepNameSoThatOlderJournalsStillResume() {
    assertEquals("train-lora", StepServices.attemptStep("train-lora", 0));
    assertEquals("train-lora-attempt-2", StepServices.attemptStep("train-lora", 1));
    assertEquals("validate-attempt-3", StepServices.attemptStep("validate", 2));
    assertThrows(BadStepInputException.class, () -> StepServices.attemptStep("validate", -1));
  }

  @Test
  void eachAttemptOfTrainingResumesItsOwnStoredAdapter() {
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("attempts"))) {
      ModelRegistry registry = new ModelRegistry(store);
      VersionStates states = new VersionStates(registry, new FactLedger(store), dir.resolve("work"));
      StepJournal journal = new StepJournal(store);
      LocalStepSettings settings = LocalStepSettings.forWorld(SomnusTiny.Variant.TEST.world(), Device.cpu());
      TrainLoraActivityImpl train = new TrainLoraActivityImpl(new StepServices(states, journal, settings));
      String first = store.put("adapter of attempt 1".getBytes(StandardCharsets.UTF_8));
      String second = store.put("adapter of attempt 2".getBytes(StandardCharsets.UTF_8));
      // as a crashed worker left them: both attempts trained and stored, neither reported back
      journal.record("sleep-1", "train-lora", new TrainLoraActivity.Result(first, 300, 2.5, 0.4, false, 300));
      journal.record("sleep-1", "train-lora-attempt-2", new TrainLoraActivity.Result(second, 140, 2.5, 0.6, false, 120));

      TrainLoraActivity.Settings lora = TrainLoraActivity.Settings.defaults();
      var r0 = train.trainLora(new TrainLoraActivity.Input("sleep-1", "mv-unused", List.of("f"), lora, 0));
      var r1 = train.trainLora(new TrainLoraActivity.Input("sleep-1", "mv-unused", List.of("f"), lora.forRetry(), 1));
      assertEquals(first, r0.adapterKey());
      assertEquals(300, r0.steps());
      assertTrue(r0.reused());
      assertEquals(second, r1.adapterKey());
      assertEquals(140, r1.steps());
      assertEquals(120, r1.keptStep(), "the step whose adapters were stored comes back with them");
      assertTrue(r1.reused());
    }
  }

  @Test
  void aBehaviourBaselineWithoutPerplexityReadsBackAsWritten() {
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("baseline"))) {
      StepJournal journal = new StepJournal(store);
      // what CandidateValidator.measureBehaviour returns: no recall, no perplexity, only the answers
      Measurement behaviour = new Measurement(Map.of(), Map.of(), Double.NaN, List.of(new long[] {5, 9, 2}, new long[] {7}),
          new double[] {-0.25, Double.NEGATIVE_INFINITY}, 1.5);
      journal.record("sleep-2", "pre-edit-behaviour", behaviour);

      Measurement back = journal.once("sleep-2", "pre-edit-behaviour", Measurement.class,
          () -> fail("a recorded baseline must not be measured again"));
      assertTrue(Double.isNaN(back.perplexity()));
      assertEquals(2, back.behaviourAnswers().size());
      assertArrayEquals(new long[] {5, 9, 2}, back.behaviourAnswers().get(0));
      assertArrayEquals(new long[] {7}, back.behaviourAnswers().get(1));
      assertArrayEquals(behaviour.behaviourLogProb(), back.behaviourLogProb());
      assertTrue(back.chat().isEmpty());
    }
  }
}
