package io.somnus.cli;

import io.somnus.activities.local.LocalStepSettings;
import io.somnus.activities.local.LocalSteps;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.StepsFactory;
import java.nio.file.Path;

/**
 * The one place that decides which step implementations a worker started from the CLI hosts
 * ({@code dev up}, {@code worker}): the real adapters over the engine and the model store, measured
 * and trained with the somnus-tiny settings. Tests replace them with {@link #use}.
 */
final class ModelSteps {
  private static volatile StepsFactory override;

  private ModelSteps() {}

  static StepsFactory factory() {
    StepsFactory f = override;
    return f != null ? f : ModelSteps::local;
  }

  /** Makes {@link #factory()} return {@code steps} (null restores the real steps). */
  static void use(StepsFactory steps) {
    override = steps;
  }

  /** Scratch space of the steps (materialised checkpoints, candidates) under the data folder. */
  static Path workDir(SomnusServices services) {
    return services.config().dataDir().resolve("work");
  }

  /**
   * The synthetic world whose questions, probes and rehearsal texts the steps use: the built-in variant the model id
   * names, else somnus-tiny's (its templates are generic English about people).
   */
  static SyntheticWorld world(SomnusConfig config) {
    return SomnusTiny.Variant.named(config.modelId()).orElse(SomnusTiny.Variant.DEFAULT).world();
  }

  private static io.somnus.activities.StepImplementations local(SomnusServices services) {
    LocalStepSettings settings = LocalStepSettings.forWorld(world(services.config()), Devices.of(services.config()))
        .withValidation(services.config().validation().rule());
    return LocalSteps.create(services.registry(), services.ledger(), services.tracking(), services.experiment(),
        workDir(services), settings);
  }
}
