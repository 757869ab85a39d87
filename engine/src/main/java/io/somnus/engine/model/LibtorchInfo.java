package io.somnus.engine.model;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.ClassLoaderUtils;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;

/**
 * What DJL loaded and what it can see of the GPU side: enough to tell why a GPU is not usable.
 *
 * @param loadError why the PyTorch engine did not load at all; null when it did (version, libraryDir, cudaBuild and
 *     cudaAvailable are then known)
 * @param version libtorch version DJL reports
 * @param libraryDir folder libtorch was loaded from
 * @param cudaBuild whether that folder holds a CUDA build (libtorch_cuda / libc10_cuda)
 * @param cudaAvailable libtorch's own {@code torch::cuda::is_available()}: the one that decides
 * @param bundledNatives DJL native jars on the classpath, as "flavor version" (e.g. "cu124 2.5.1-20241113"); empty
 *     with an external libtorch only
 * @param cudaRuntime what DJL's own CUDA probe (libcudart through JNA) sees: DJL picks the native jar by it, and
 *     refuses a CUDA jar when it counts no device
 * @param nvidiaDriver first line of /proc/driver/nvidia/version, or null when no NVIDIA kernel driver is loaded
 * @param cudaVisibleDevices the CUDA_VISIBLE_DEVICES variable, or null when unset
 * @param libraryPathOverride PYTORCH_LIBRARY_PATH (an external libtorch), or null
 * @param versionOverride PYTORCH_VERSION, or null
 * @param flavorOverride PYTORCH_FLAVOR, or null
 */
public record LibtorchInfo(Throwable loadError, String version, String libraryDir, boolean cudaBuild, boolean cudaAvailable,
    List<String> bundledNatives, String cudaRuntime, String nvidiaDriver, String cudaVisibleDevices, String libraryPathOverride,
    String versionOverride, String flavorOverride) {

  public LibtorchInfo {
    bundledNatives = List.copyOf(bundledNatives);
  }

  /** Loads the PyTorch engine if needed and reports what it found; never throws. */
  public static LibtorchInfo probe() {
    Runtimes.configureOffline();
    String driver = nvidiaDriver(Path.of("/proc/driver/nvidia/version"));
    String visible = System.getenv("CUDA_VISIBLE_DEVICES");
    List<String> bundled = findBundledNatives();
    String libPath = setting("PYTORCH_LIBRARY_PATH");
    String version = setting("PYTORCH_VERSION");
    String flavor = setting("PYTORCH_FLAVOR");
    Engine engine;
    try {
      engine = Engine.getEngine("PyTorch");
    } catch (RuntimeException | LinkageError e) {
      return new LibtorchInfo(e, null, null, false, false, bundled, probeCudaRuntime(), driver, visible, libPath, version, flavor);
    }
    String dir = LibUtils.getLibtorchPath();
    boolean cudaBuild = Files.exists(Path.of(dir, "libtorch_cuda.so")) || Files.exists(Path.of(dir, "libc10_cuda.so"));
    return new LibtorchInfo(null, engine.getVersion(), dir, cudaBuild, engine.hasCapability(StandardCapabilities.CUDA), bundled,
        probeCudaRuntime(), driver, visible, libPath, version, flavor);
  }

  /** Whether computing on {@code Device.gpu()} can work: libtorch itself says CUDA is available. */
  public boolean gpuUsable() {
    return loadError == null && cudaAvailable;
  }

  /** Whether the classpath carries a CUDA native jar (DJL's cu* flavour). */
  public boolean bundlesCuda() {
    return bundledNatives.stream().anyMatch(n -> n.startsWith("cu"));
  }

  /** One line per fact, for error messages and device checks. */
  public List<String> describe() {
    List<String> out = new ArrayList<>();
    if (loadError != null) {
      out.add("PyTorch engine: failed to load: " + chain(loadError));
    } else {
      out.add("libtorch " + version + ", " + (cudaBuild ? "CUDA build" : "CPU-only build (no libtorch_cuda.so)") + ", from " + libraryDir);
      out.add("libtorch CUDA available: " + (cudaAvailable ? "yes" : "no"));
    }
    out.add("native jars on the classpath: " + (bundledNatives.isEmpty() ? "none" : String.join(", ", bundledNatives)));
    out.add("DJL's CUDA probe (libcudart): " + cudaRuntime);
    out.add("NVIDIA kernel driver: " + (nvidiaDriver == null ? "none (/proc/driver/nvidia/version is absent)" : nvidiaDriver));
    out.add("CUDA_VISIBLE_DEVICES: " + (cudaVisibleDevices == null ? "unset" : "'" + cudaVisibleDevices + "'"));
    out.add("PYTORCH_LIBRARY_PATH: " + (libraryPathOverride == null ? "unset" : libraryPathOverride)
        + (versionOverride == null ? "" : ", PYTORCH_VERSION=" + versionOverride)
        + (flavorOverride == null ? "" : ", PYTORCH_FLAVOR=" + flavorOverride));
    return out;
  }

  /** What to do, most likely cause first. */
  public String remedy() {
    String cpu = "or set SOMNUS_DEVICE=cpu (or auto) to run on the CPU";
    String external = "point PYTORCH_LIBRARY_PATH at a CUDA libtorch's lib folder with PYTORCH_VERSION and PYTORCH_FLAVOR"
        + " (infra/README.md, \"GPU path\")";
    String noDriver = "on a host, install the NVIDIA driver; in a container, run it with the NVIDIA container toolkit"
        + " (`docker run --gpus all`, compose's `--profile gpu` worker, a Kubernetes `nvidia.com/gpu` limit)";
    if (loadError != null) {
      if (libraryPathOverride != null) {
        return "check that PYTORCH_LIBRARY_PATH holds a libtorch that matches this DJL: PYTORCH_VERSION selects the JNI"
            + " library built for it, and a libtorch of another version needs a JNI library built against it"
            + " (scripts/gpu/README.md)";
      }
      if (bundlesCuda()) {
        return "the classpath carries DJL's CUDA libtorch, which DJL loads only where its CUDA probe finds a device with a"
            + " CUDA runtime at least as new as the jar's; otherwise it looks for another libtorch to download, which"
            + " offline mode forbids. " + (nvidiaDriver == null ? "O" + noDriver.substring(1) + "; " : "Check the image's libcudart (the"
            + " nvidia/cuda base image) and `nvidia-smi`; ") + "on a machine without a GPU, build without -Pcuda";
      }
      return "check that the DJL cache folder (DJL_CACHE_DIR) is writable and that the native jar matches pytorch-jni";
    }
    if (!cudaBuild) {
      return "this process loaded a CPU-only libtorch: build with the Maven profile cuda (`mvn -Pcuda`; the image's"
          + " runtime-cuda target does) or " + external + ", " + cpu;
    }
    if (nvidiaDriver == null) return "libtorch is a CUDA build but no NVIDIA driver is visible to this process: " + noDriver + ", " + cpu;
    if (cudaVisibleDevices != null && (cudaVisibleDevices.isBlank() || cudaVisibleDevices.trim().startsWith("-"))) {
      return "CUDA_VISIBLE_DEVICES='" + cudaVisibleDevices + "' hides every GPU from this process: unset it or name a device, " + cpu;
    }
    return "the driver is loaded but libtorch cannot use a GPU: compare `nvidia-smi`'s \"CUDA Version\" (the newest the"
        + " driver supports) with the CUDA version this libtorch was built for, and check the device is not held by"
        + " another process in exclusive mode, " + cpu;
  }

  private static List<String> findBundledNatives() {
    List<String> out = new ArrayList<>();
    try {
      Enumeration<URL> urls = ClassLoaderUtils.getContextClassLoader().getResources("native/lib/pytorch.properties");
      while (urls.hasMoreElements()) {
        Properties p = new Properties();
        try (InputStream in = urls.nextElement().openStream()) {
          p.load(in);
        }
        out.add(p.getProperty("flavor", "?") + " " + p.getProperty("version", "?"));
      }
    } catch (IOException e) {
      out.add("unreadable (" + e.getMessage() + ")");
    }
    return out;
  }

  private static String probeCudaRuntime() {
    try {
      int n = CudaUtils.getGpuCount();
      return n > 0 ? n + " device(s), CUDA runtime " + CudaUtils.getCudaVersionString() : "no usable device (or no libcudart found)";
    } catch (RuntimeException | LinkageError e) {
      return "failed: " + e;
    }
  }

  private static String nvidiaDriver(Path versionFile) {
    try {
      if (!Files.isReadable(versionFile)) return null;
      List<String> lines = Files.readAllLines(versionFile);
      return lines.isEmpty() ? "loaded (empty version file)" : lines.get(0).trim();
    } catch (IOException e) {
      return "loaded (version unreadable: " + e.getMessage() + ")";
    }
  }

  /** As DJL reads its settings: the environment first, then a system property. */
  private static String setting(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) v = System.getProperty(name);
    return v == null || v.isBlank() ? null : v;
  }

  private static String chain(Throwable t) {
    StringBuilder sb = new StringBuilder(String.valueOf(t));
    for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) sb.append(" <- ").append(c);
    return sb.toString();
  }
}
