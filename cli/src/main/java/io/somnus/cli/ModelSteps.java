package io.somnus.cli;

import io.somnus.infra.ProductSteps;
import io.somnus.infra.StepsFactory;

/**
 * Which step implementations a worker started from the CLI hosts ({@code dev up}, {@code worker}): the product's
 * ({@link ProductSteps}) on this process's device. Tests replace them with {@link #use}.
 */
final class ModelSteps {
  private static volatile StepsFactory override;

  private ModelSteps() {}

  static StepsFactory factory() {
    StepsFactory f = override;
    return f != null ? f : services -> ProductSteps.create(services, Devices.of(services.config()));
  }

  /** Makes {@link #factory()} return {@code steps} (null restores the real steps). */
  static void use(StepsFactory steps) {
    override = steps;
  }
}
