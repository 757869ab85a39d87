package io.somnus.cli;

import io.somnus.infra.StepsFactory;

/**
 * The one place that decides which step implementations a worker started from the CLI hosts
 * ({@code dev up}, {@code worker}). Tests replace it with {@link #use}.
 */
final class ModelSteps {
  private static volatile StepsFactory override;

  private ModelSteps() {}

  static StepsFactory factory() {
    StepsFactory f = override;
    if (f != null) return f;
    throw new CliException("this build has no model step implementations to host (the activity adapters over the engine"
        + " and model store are not in the activities module yet); start the services with `somnus dev up --no-worker`");
  }

  /** Makes {@link #factory()} return {@code steps} (null restores the default). */
  static void use(StepsFactory steps) {
    override = steps;
  }
}
