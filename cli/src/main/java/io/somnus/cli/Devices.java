package io.somnus.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.somnus.engine.model.Runtimes;
import io.somnus.infra.SomnusConfig;

/** The compute device a configuration asks for; "gpu" without a visible GPU is an error, not a silent CPU run. */
final class Devices {
  private Devices() {}

  static Device of(SomnusConfig config) {
    Runtimes.configureOffline();
    return switch (config.device()) {
      case "cpu" -> Device.cpu();
      case "gpu" -> {
        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
          throw new IllegalStateException("device gpu is configured but libtorch sees no GPU (is the CUDA native jar on the classpath?)");
        }
        yield Device.gpu();
      }
      default -> Runtimes.preferredDevice();
    };
  }
}
