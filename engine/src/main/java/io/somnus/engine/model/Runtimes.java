package io.somnus.engine.model;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Locale;

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
   *
   * @throws DeviceUnavailableException when SOMNUS_DEVICE=gpu and no GPU is usable, or the engine does not load
   */
  public static Device preferredDevice() {
    return device(System.getenv("SOMNUS_DEVICE"), "SOMNUS_DEVICE");
  }

  /**
   * The device for a request of "cpu", "gpu" or "auto" (null or blank mean auto), with the PyTorch engine loaded.
   * "gpu" is a GPU or an error that says why not; it never falls back to the CPU.
   *
   * @param setting where the request came from, for the error message (a variable or option name)
   * @throws DeviceUnavailableException when a GPU is requested and libtorch cannot use one, or when the engine does
   *     not load at all (a CUDA libtorch on a machine without a GPU, a mismatched external libtorch)
   * @throws IllegalArgumentException for any other request
   */
  public static Device device(String requested, String setting) {
    configureOffline();
    String want = requested == null || requested.isBlank() ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
    if (!want.equals("cpu") && !want.equals("gpu") && !want.equals("auto")) {
      throw new IllegalArgumentException(setting + " must be cpu, gpu or auto, got '" + requested + "'");
    }
    LibtorchInfo info = LibtorchInfo.probe();
    if (info.loadError() != null || (want.equals("gpu") && !info.gpuUsable())) {
      throw new DeviceUnavailableException(setting + "=" + want, info);
    }
    return want.equals("gpu") || (want.equals("auto") && info.gpuUsable()) ? Device.gpu() : Device.cpu();
  }
}
