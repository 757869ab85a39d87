package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.Device;
import io.somnus.activities.StepQueues;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.ServiceEndpoints;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.SomnusWorker;
import io.somnus.store.CheckpointFile;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.ModelRegistry;
import io.somnus.store.VersionStates;
import io.somnus.workflows.SleepPolicy;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepResult;
import io.somnus.workflows.SleepWorkflows;
import io.somnus.workflows.WorkerSetup;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactoryOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation's sleeps are the product's: one sleep through the evaluation's driver ({@link ProductModel}: an embedded
 * stack configured from the profile) and one through the sleep workflow in Temporal's in-process test environment with a
 * worker built as {@code somnus worker} builds it ({@link ProductSteps#create}) on its own store, from the same base, the
 * same facts written by the wake under the same run id, and the same sleep run id (so the same LoRA seed), end with the
 * same candidate weights, fact table and verdict.
 */
class ProductPathConsistencyTest {
  static final SomnusTiny.Variant MODEL = SomnusTiny.Variant.TEST;
  static final String NAME = "consistency-s1";

  @TempDir Path dir;

  @Test
  void aSleepDrivenByTheEvaluationIsTheSleepOfTheWorkflowInProcess() {
    Models models = new Models(MODEL);
    List<Fact> facts = Probes.sample(MODEL.world(), 3, 1).stream().map(WorldFact::fact).toList();
    // One attempt: a retry would double the time and decide nothing this comparison needs.
    SleepPolicy d = SleepPolicy.defaults();
    SleepPolicy policy = new SleepPolicy(d.maxFacts(), d.recallThreshold(), d.lora(), d.thresholds(), d.timeouts(), 0);

    Sleep byEvaluation;
    try (ProductModel m = ProductModel.start(NAME, models, ValidationConfig.defaults(), dir.resolve("evaluation"))) {
      List<Fact> written = m.teach(facts).written();
      SleepRun run = m.sleep(policy);
      assertNotNull(run.result(), run.reason());
      byEvaluation = Sleep.of(run.result(), written, m.services());
    }

    Sleep byWorkflow;
    SomnusConfig config = ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dir.resolve("workflow").toString(),
        "SOMNUS_MODEL_ID", MODEL.name()));
    TestEnvironmentOptions options = TestEnvironmentOptions.newBuilder().setUseTimeskipping(false)
        .setWorkerFactoryOptions(WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new SomnusWorker.ModelThreadInterceptor()).build())
        .build();
    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(config.s3Dir());
        SomnusServices services = new SomnusServices(config, new ServiceEndpoints("in-process test environment",
            config.temporal().namespace(), s3.settings(config.s3().bucket()), null, config.trackingDir()));
        TestWorkflowEnvironment temporal = TestWorkflowEnvironment.newInstance(options)) {
      WorkerSetup.register(temporal.getWorkerFactory(), StepQueues.CPU, ProductSteps.create(services, Device.cpu()), true);
      temporal.start();
      services.objectStore();
      WakeMemory.importBase(services.registry(), services.ledger(), models.checkpoint(), "import-" + NAME);
      List<Fact> written;
      try (WakeMemory wake = WakeMemory.of(services, Device.cpu())) {
        written = wake.teach(facts, "wake-" + NAME + "-1").written();
      }
      SleepResult result = SleepWorkflows.startSleep(temporal.getWorkflowClient(),
          new SleepRequest(MODEL.name(), "sleep-" + NAME + "-1", false, policy)).getResult(SleepResult.class);
      byWorkflow = Sleep.of(result, written, services);
    }

    System.out.printf("evaluation's driver: %s%nworkflow in-process: %s%n", byEvaluation, byWorkflow);
    assertFalse(byEvaluation.written().isEmpty(), "the wake wrote none of " + facts);
    assertEquals(byWorkflow.written(), byEvaluation.written(), "the same wake");
    assertEquals(byWorkflow.result().versions().liveBefore(), byEvaluation.result().versions().liveBefore(),
        "the same live version (ids hash content and run id)");
    assertEquals(byWorkflow.candidateWeights(), byEvaluation.candidateWeights(), "the same candidate weights");
    assertEquals(byWorkflow.weightsDigest(), byEvaluation.weightsDigest());
    assertEquals(byWorkflow.factTable(), byEvaluation.factTable(), "the same fact table");
    assertEquals(byWorkflow.result(), byEvaluation.result(), "the same verdict, versions, counts and figures");
  }

  /**
   * What one sleep produced, compared across the two stores.
   *
   * @param candidateWeights content keys of the validated candidate's checkpoint files
   * @param weightsDigest {@link Checkpoint#weightsDigest} of the candidate's weights
   */
  record Sleep(SleepResult result, List<Fact> written, List<CheckpointFile> candidateWeights, String weightsDigest,
      List<FactStageTable.Entry> factTable) {
    static Sleep of(SleepResult result, List<Fact> written, SomnusServices services) {
      String candidate = result.versions().validated();
      assertNotNull(candidate, "the sleep validated no candidate: " + result.reasons());
      ModelRegistry registry = services.registry();
      VersionStates states = ProductSteps.versionStates(services);
      return new Sleep(result, written, registry.version(candidate).checkpoint(),
          Checkpoint.weightsDigest(states.checkpoint(candidate)), states.stages(candidate).entries());
    }

    @Override
    public String toString() {
      return result.outcome() + ", candidate " + result.versions().validated() + " (weights " + weightsDigest + "), "
          + written.size() + " facts written, fact table " + factTable.stream().map(e -> e.fact().sentence() + " stage "
          + e.stage().level()).toList() + ", recall " + result.quality().recallBefore() + " -> " + result.quality().recallAfter()
          + ", perplexity " + result.quality().perplexityBefore() + " -> " + result.quality().perplexityAfter()
          + (result.reasons().isEmpty() ? "" : ", reasons " + result.reasons());
    }
  }
}
