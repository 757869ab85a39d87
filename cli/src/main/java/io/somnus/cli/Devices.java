package io.somnus.cli;

import ai.djl.Device;
import io.somnus.engine.model.Runtimes;
import io.somnus.infra.SomnusConfig;

/** The compute device a configuration asks for; "gpu" without a usable GPU is an error that says why, never a silent CPU run. */
final class Devices {
  private Devices() {}

  static Device of(SomnusConfig config) {
    return Runtimes.device(config.device(), "SOMNUS_DEVICE");
  }
}
