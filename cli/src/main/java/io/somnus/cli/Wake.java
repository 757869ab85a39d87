package io.somnus.cli;

import io.somnus.cli.wake.FactClassifier;
import io.somnus.cli.wake.FactExtractor;
import io.somnus.cli.wake.GroundingFirewall;
import io.somnus.cli.wake.ModelFactExtractor;
import io.somnus.cli.wake.PatternFactExtractor;
import io.somnus.cli.wake.WakeChat;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.infra.ProductSteps;
import io.somnus.infra.SomnusServices;
import io.somnus.store.RegistryMirror;
import io.somnus.store.RunTracker;
import io.somnus.store.TrackingException;
import io.somnus.workflows.MemoryLifecycleWorkflow;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.client.WorkflowNotFoundException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the awake model and its chat from a process's services; shared by chat, teach, serve and demo. */
final class Wake {
  private static final Logger log = LoggerFactory.getLogger(Wake.class);

  private Wake() {}

  /** The live model of the services' registry, writing new facts with MEMIT. */
  static WakeMemory memory(SomnusServices services) {
    return WakeMemory.of(services, Devices.of(services.config()));
  }

  /** How facts are found in what the user says. */
  enum Extraction {
    /** Statement patterns: for models too small to follow an extraction prompt (somnus-tiny). */
    PATTERN,
    /** The live model lists the facts as JSON: for capable chat models. */
    MODEL
  }

  /** The chat over {@code memory}: extraction behind the grounding firewall, then MEMIT, then the answer. */
  static WakeChat chat(SomnusServices services, WakeMemory memory, boolean signalLifecycle, Extraction extraction,
      FactClassifier classifier) {
    PatternFactExtractor patterns = PatternFactExtractor.forSyntheticWorld();
    FactExtractor extractor = extraction == Extraction.MODEL
        // through memory.runtime() on every call: a sleep may have promoted a new live model meanwhile
        ? new ModelFactExtractor(m -> memory.runtime().chat(m, GenerationOptions.greedy(256)), patterns.phrases())
        : patterns;
    String model = services.config().modelId();
    return new WakeChat(model, memory, extractor, new GroundingFirewall(new HashSet<>(patterns.phrases())), classifier,
        () -> RunIds.fresh("wake", model, System.currentTimeMillis()),
        taught -> {
          if (signalLifecycle && !taught.written().isEmpty()) signalLearned(services, taught);
        });
  }

  /** Tells the model's lifecycle entity (if one runs) how many facts were learned; sleep pressure rises. */
  static void signalLearned(SomnusServices services, WakeMemory.Taught taught) {
    try {
      services.workflowClient().newWorkflowStub(MemoryLifecycleWorkflow.class, SleepWorkflows.lifecycleId(services.config().modelId()))
          .factsLearned(new MemoryLifecycleWorkflow.FactsLearned(taught.written().size(), taught.versionId()));
    } catch (WorkflowNotFoundException noEntity) {
      // no lifecycle entity for this model: sleeps are started by hand
    } catch (RuntimeException e) {
      log.warn("could not tell the lifecycle entity about {} new facts: {}", taught.written().size(), e.getMessage());
    }
  }

  /** Facts of the live version no sleep has taken a stage further yet (stage 0): what presses for the next sleep. */
  static int factsNotYetSlept(SomnusServices services) {
    String live = services.registry().aliases().live();
    if (live == null) return 0;
    FactStageTable table = ProductSteps.versionStates(services).stages(live);
    return (int) table.entries().stream().filter(e -> e.stage().level() == 0).count();
  }

  /** Imports the base checkpoint as the first live version when nothing is live yet; returns the live version. */
  static String ensureBase(SomnusServices services, Path baseCheckpoint) {
    String model = services.config().modelId();
    if (services.registry().aliases().live() != null) return services.registry().aliases().live();
    Path base = baseCheckpoint;
    if (base == null) {
      SomnusTiny.Variant builtIn = SomnusTiny.Variant.named(model).orElseThrow(() -> new CliException(
          "model " + model + " has no live version; give its Hugging Face checkpoint folder with --base DIR"));
      base = SomnusTiny.ensure(builtIn);
    }
    String runId = RunIds.fresh("import", model, System.currentTimeMillis());
    Instant started = Instant.now();
    String live = WakeMemory.importBase(services.registry(), services.ledger(), base, runId);
    recordImport(services, runId, base, live, started);
    return live;
  }

  /** The import as a tracked run and the first registered model version; the import stands if tracking is down. */
  private static void recordImport(SomnusServices services, String runId, Path base, String versionId, Instant started) {
    String model = services.config().modelId();
    try {
      new RunTracker(services.tracking(), services.experiment()).recordImport(runId, model, base.toAbsolutePath().toString(),
          versionId, services.registry().manifestUri(versionId), started, Instant.now());
      new RegistryMirror(services.registry(), services.tracking(), model, services.experiment()).sync();
    } catch (TrackingException e) {
      log.warn("tracking: {} is live but its import {} could not be recorded: {}", versionId, runId, e.getMessage());
    }
  }
}
