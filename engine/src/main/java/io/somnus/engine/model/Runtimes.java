package io.somnus.engine.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Path;

/**
 * Process-wide DJL set-up. Somnus never downloads at run time: libtorch and the tokenizers library
 * are extracted from the Maven jars into a cache folder the project owns.
 */
public final class Runtimes {
  private Runtimes() {}

  public static Path somnusHome() {
    String p = System.getProperty("somnus.home");
    if (p == null || p.isBlank()) p = System.getenv("SOMNUS_HOME");
    if (p == null || p.isBlank()) p = System.getProperty("user.home") + "/.somnus";
    return Path.of(p);
  }

  public static synchronized void configureOffline() {
    if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      System.setProperty("DJL_CACHE_DIR", somnusHome().resolve("djl-cache").toString());
    }
  }

  /**
   * The device to compute on: SOMNUS_DEVICE=cpu|gpu, or a GPU when the loaded libtorch sees one.
   */
  public static Device preferredDevice() {
    configureOffline();
    String want = System.getenv("SOMNUS_DEVICE");
    Engine engine = Engine.getEngine("PyTorch");
    if ("cpu".equalsIgnoreCase(want)) return Device.cpu();
    if (engine.getGpuCount() > 0) return Device.gpu();
    if ("gpu".equalsIgnoreCase(want)) throw new IllegalStateException("SOMNUS_DEVICE=gpu but libtorch sees no GPU (is the CUDA native jar on the classpath?)");
    return Device.cpu();
  }
}
