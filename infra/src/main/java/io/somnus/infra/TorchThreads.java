package io.somnus.infra;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.somnus.engine.model.Runtimes;

/**
 * PyTorch's autograd mode is per thread, and DJL switches it off only on the thread that first loads
 * the engine. Any other thread (a Temporal activity executor, an HTTP handler) starts with grad mode
 * on, and then the engine's in-place parameter updates fail ("a leaf Variable that requires grad is
 * being used in an in-place operation") and every forward pass records a graph. Code that runs model
 * work on such threads calls {@link #inferenceMode()} first; a {@code GradientCollector} still turns
 * gradients on for its own scope.
 */
public final class TorchThreads {
  private TorchThreads() {}

  /** Gradient recording off on the calling thread (loads the engine if needed). */
  public static void inferenceMode() {
    Runtimes.configureOffline();
    Engine.getEngine("PyTorch");
    JniUtils.setGradMode(false);
  }
}
