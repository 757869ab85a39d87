package io.somnus.infra;

import ai.djl.Device;
import io.somnus.activities.StepImplementations;
import io.somnus.activities.local.LocalStepSettings;
import io.somnus.activities.local.LocalSteps;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.store.VersionStates;
import java.nio.file.Path;

/**
 * The sleep steps a Somnus worker hosts, built from a process's services and configuration: the one definition of
 * what a sleep does, used by {@code somnus dev up} and {@code somnus worker} and by every plain-Java driver (the
 * evaluation), so that a figure measured there is the product's.
 */
public final class ProductSteps {
  private ProductSteps() {}

  public static StepImplementations create(SomnusServices services, Device device) {
    return create(services, settings(services.config(), device));
  }

  /** How the steps of {@code config}'s worker measure and train: its model's world and its validation rule. */
  public static LocalStepSettings settings(SomnusConfig config, Device device) {
    return LocalStepSettings.forWorld(world(config), device).withValidation(config.validation().rule());
  }

  /**
   * The product's steps with other settings than {@link #settings}: for a driver that must run a deliberately
   * misconfigured sleep through the real workflow (the evaluation's bad sleeps), never for a worker that serves.
   */
  public static StepImplementations create(SomnusServices services, LocalStepSettings settings) {
    SomnusConfig config = services.config();
    return LocalSteps.create(services.registry(), services.ledger(), services.tracking(), services.experiment(),
        config.modelId(), workDir(config), settings);
  }

  /** Scratch space of the steps and of the wake (materialised checkpoints, candidates) under the data folder. */
  public static Path workDir(SomnusConfig config) {
    return config.dataDir().resolve("work");
  }

  /** The process's reader of model versions with their fact tables, materialising checkpoints under {@link #workDir}. */
  public static VersionStates versionStates(SomnusServices services) {
    return new VersionStates(services.registry(), services.ledger(), workDir(services.config()));
  }

  /**
   * The synthetic world whose questions, probes and rehearsal texts the steps use: the built-in variant the model id
   * names, else somnus-tiny's (its templates are generic English about people).
   */
  public static SyntheticWorld world(SomnusConfig config) {
    return SomnusTiny.Variant.named(config.modelId()).orElse(SomnusTiny.Variant.DEFAULT).world();
  }
}
