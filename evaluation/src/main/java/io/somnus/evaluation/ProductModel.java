package io.somnus.evaluation;

import ai.djl.Device;
import io.somnus.activities.local.LocalStepSettings;
import io.somnus.activities.local.LocalSteps;
import io.somnus.activities.local.TrainingChecks;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.EmbeddedStack;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.Lineage;
import io.somnus.store.TrackedRun;
import io.somnus.workflows.SleepPolicy;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepResult;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One experiment's model in the product: the embedded stack (Temporal's in-memory service, S3 over a folder, local
 * tracking) on its own data folder with an in-process worker hosting the product's steps ({@link ProductSteps}), the
 * base imported and facts written as every writer of facts does ({@link WakeMemory}), sleeps run by the sleep workflow.
 * The live model the experiments measure is the live version as the wake loads it from the registry (through the
 * store's version loader), the model chat answers with.
 *
 * <p>Run ids are {@code wake-<name>-<n>} and {@code sleep-<name>-<n>}: a sleep's LoRA seed is derived from its run id,
 * so the same experiment, seed and step give the same sleep.
 */
final class ProductModel implements AutoCloseable {
  private final String name;
  private final EmbeddedStack stack;
  private final Device device = Device.cpu();
  private WakeMemory wake;
  private int wakes;
  private int sleeps;

  private ProductModel(String name, EmbeddedStack stack) {
    this.name = name;
    this.stack = stack;
  }

  /**
   * Starts the product on {@code dataDir} for {@code variant}'s model (the model id is the variant's name, so the worker
   * uses its world), sleeps validated by {@code validation}, and imports the base checkpoint as the first live version.
   *
   * @param name what the run ids name, e.g. "lifetime-s2"
   */
  static ProductModel start(String name, Models models, ValidationConfig validation, Path dataDir) {
    SomnusConfig config = config(models.variant().name(), validation, dataDir);
    EmbeddedStack stack = EmbeddedStack.start(config, services -> ProductSteps.create(services, Device.cpu()));
    try {
      ProductModel m = new ProductModel(name, stack);
      SomnusServices s = stack.services();
      WakeMemory.importBase(s.registry(), s.ledger(), models.checkpoint(), "import-" + name);
      return m;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  /**
   * What {@code somnus --data-dir <dataDir> dev up --temporal-port 0} runs with under {@code SOMNUS_MODEL_ID} and the
   * {@code SOMNUS_VALIDATION_*} settings of {@code validation}.
   */
  static SomnusConfig config(String modelId, ValidationConfig validation, Path dataDir) {
    return ConfigLoader.load(null, Map.of("SOMNUS_DATA_DIR", dataDir.toString(), "SOMNUS_TEMPORAL_DEV_PORT", "0",
        "SOMNUS_MODEL_ID", modelId, "SOMNUS_DEVICE", "cpu",
        "SOMNUS_VALIDATION_MAX_PERPLEXITY_DRIFT", Double.toString(validation.maxPerplexityDrift()),
        "SOMNUS_VALIDATION_MAX_BEHAVIOUR_SHIFT", Double.toString(validation.maxBehaviourShift()),
        "SOMNUS_VALIDATION_RECOVERED_PER_LOSS", Integer.toString(validation.recoveredPerLoss())));
  }

  SomnusServices services() {
    return stack.services();
  }

  /** Writes {@code facts} into the live model as one turn of the wake does (run id {@code wake-<name>-<n>}). */
  WakeMemory.Taught teach(List<Fact> facts) {
    return wake().teach(facts, "wake-" + name + "-" + (++wakes));
  }

  /** One sleep of the product with its default policy, run id {@code sleep-<name>-<n>}. */
  SleepRun sleep() {
    return sleep(SleepPolicy.defaults());
  }

  SleepRun sleep(SleepPolicy policy) {
    return runSleep("sleep-" + name + "-" + (++sleeps), policy);
  }

  /**
   * A sleep on the live version by a worker whose steps train with other settings (e.g. a learning rate no sleep
   * should use), under run id {@code <runName>}; the product's worker is back afterwards. What it promotes is live.
   */
  SleepRun trial(String runName, SleepPolicy policy, UnaryOperator<LocalStepSettings> steps) {
    LocalStepSettings settings = steps.apply(ProductSteps.settings(stack.config(), device));
    stack.stopWorker();
    try {
      stack.startWorker(services -> ProductSteps.create(services, settings));
      return runSleep("sleep-" + name + "-" + runName, policy);
    } finally {
      stack.stopWorker();
      stack.startWorker(services -> ProductSteps.create(services, device));
    }
  }

  private SleepRun runSleep(String runId, SleepPolicy policy) {
    WorkflowStub stub = SleepWorkflows.startSleep(stack.services().workflowClient(),
        new SleepRequest(stack.config().modelId(), runId, false, policy));
    SleepResult result = null;
    String failure = null;
    try {
      result = stub.getResult(SleepResult.class);
    } catch (WorkflowFailedException e) {
      failure = SleepRun.rootMessage(e);
    }
    TrackedRun tracked = stack.services().tracking().searchRuns(stack.services().experiment(), Map.of(Lineage.RUN_ID_TAG, runId))
        .stream().findFirst().orElseThrow(() -> new IllegalStateException("sleep " + runId + " left no tracked run"));
    var history = stack.services().workflowClient().fetchHistory(stub.getExecution().getWorkflowId(), stub.getExecution().getRunId());
    List<TrainingChecks> checks = new ArrayList<>();
    for (int attempt = 0; ; attempt++) {
      Optional<TrainingChecks> c = LocalSteps.trainingChecks(stack.services().objectStore(), runId, attempt);
      if (c.isEmpty()) break;
      checks.add(c.get());
    }
    return SleepRun.of(runId, result, failure, tracked, history, checks);
  }

  /** The live version's id. */
  String liveVersion() {
    return stack.services().registry().aliases().live();
  }

  /** The live version as the engine's state (fused checkpoint, edits, fact stages), as the wake loaded it. */
  MemoryState liveState() {
    return wake().state();
  }

  /**
   * The live model, loaded from the registry by the wake (the model chat answers with), reloaded when live moved. The
   * caller does not close it.
   */
  ModelRuntime live() {
    return wake().runtime();
  }

  private WakeMemory wake() {
    if (wake == null) wake = WakeMemory.of(stack.services(), device);
    return wake;
  }

  @Override
  public void close() {
    try {
      if (wake != null) wake.close();
    } finally {
      stack.close();
    }
  }
}
