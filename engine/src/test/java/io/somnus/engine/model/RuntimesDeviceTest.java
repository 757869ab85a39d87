package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Device selection: "gpu" is a GPU or an error that says what was found and what to do; never a silent CPU run. */
class RuntimesDeviceTest {

  @Test
  void theLoadedLibtorchIsThePairThisBuildAskedFor() {
    // Surefire passes the POM's pytorch.version, so a profile (-Pcuda) whose pair did not reach the test JVM fails here.
    String expected = System.getProperty("somnus.pytorch.version");
    assumeFalse(expected == null || expected.isBlank(), "run through Maven, which sets somnus.pytorch.version");
    LibtorchInfo info = LibtorchInfo.probe();
    assertNull(info.loadError(), () -> "engine did not load: " + info.describe());
    assertEquals(expected, info.version(), () -> String.join("\n", info.describe()));
  }

  @Test
  void gpuWithoutAUsableGpuFailsNamingTheRequestWhatWasFoundAndTheFix() {
    LibtorchInfo info = LibtorchInfo.probe();
    assumeFalse(info.gpuUsable(), "this machine has a usable GPU");
    DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class, () -> Runtimes.device("gpu", "SOMNUS_DEVICE"));
    String m = e.getMessage();
    assertTrue(m.startsWith("SOMNUS_DEVICE=gpu, but no GPU is usable."), m);
    assertTrue(m.contains("libtorch " + info.version()), m);
    assertTrue(m.contains(info.libraryDir()), m);
    assertTrue(m.contains("SOMNUS_DEVICE=cpu"), m);
    if (!info.cudaBuild()) {
      assertTrue(m.contains("CPU-only build"), m);
      assertTrue(m.contains("mvn -Pcuda") && m.contains("PYTORCH_LIBRARY_PATH"), m);
    }
  }

  @Test
  void cpuAndAutoAreAlwaysAnsweredAndAnUnknownRequestIsRefused() {
    assertEquals(Device.cpu(), Runtimes.device("cpu", "SOMNUS_DEVICE"));
    assertEquals(Device.cpu(), Runtimes.device(" CPU ", "SOMNUS_DEVICE"));
    Device auto = Runtimes.device(null, "SOMNUS_DEVICE");
    assertEquals(LibtorchInfo.probe().gpuUsable() ? Device.gpu() : Device.cpu(), auto);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Runtimes.device("cuda:0", "--device"));
    assertEquals("--device must be cpu, gpu or auto, got 'cuda:0'", e.getMessage());
  }

  @Test
  void theRemedyFollowsTheMostLikelyCause() {
    LibtorchInfo cpuBuild = info(null, false, null, null, null);
    assertTrue(cpuBuild.remedy().startsWith("this process loaded a CPU-only libtorch: build with the Maven profile cuda"), cpuBuild.remedy());

    LibtorchInfo noDriver = info(null, true, null, null, null);
    assertTrue(noDriver.remedy().contains("no NVIDIA driver is visible"), noDriver.remedy());
    assertTrue(noDriver.describe().contains("NVIDIA kernel driver: none (/proc/driver/nvidia/version is absent)"), noDriver.describe().toString());

    String driver = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04";
    LibtorchInfo hidden = info(null, true, driver, "-1", null);
    assertTrue(hidden.remedy().startsWith("CUDA_VISIBLE_DEVICES='-1' hides every GPU"), hidden.remedy());
    LibtorchInfo hiddenEmpty = info(null, true, driver, "", null);
    assertTrue(hiddenEmpty.remedy().startsWith("CUDA_VISIBLE_DEVICES='' hides every GPU"), hiddenEmpty.remedy());

    LibtorchInfo oldDriver = info(null, true, driver, "0", null);
    assertTrue(oldDriver.remedy().contains("nvidia-smi") && oldDriver.remedy().contains("CUDA Version"), oldDriver.remedy());

    LibtorchInfo badExternal = info(new UnsatisfiedLinkError("libdjl_torch.so: undefined symbol: _ZN3c104impl"), false, driver, null,
        "/opt/torch/lib");
    assertFalse(badExternal.gpuUsable());
    assertTrue(badExternal.describe().get(0).startsWith("PyTorch engine: failed to load: java.lang.UnsatisfiedLinkError: libdjl_torch.so: undefined symbol"),
        badExternal.describe().toString());
    assertTrue(badExternal.remedy().contains("JNI library built against it"), badExternal.remedy());
    DeviceUnavailableException e = new DeviceUnavailableException("--device gpu", badExternal);
    assertSame(badExternal.loadError(), e.getCause());
    assertTrue(e.getMessage().contains("PYTORCH_LIBRARY_PATH: /opt/torch/lib"), e.getMessage());
    assertTrue(e.getMessage().startsWith("--device gpu, but the PyTorch engine did not load. Found:"), e.getMessage());

    // DJL's own refusal of a CUDA jar without a device: it falls back to downloading, which offline mode forbids.
    Exception offline = new RuntimeException("Failed to save pytorch index file", new java.io.IOException("Offline model is enabled."));
    LibtorchInfo cudaJarNoGpu = info(offline, true, null, null, null, List.of("cu124 2.5.1-20241113"));
    assertTrue(cudaJarNoGpu.bundlesCuda());
    assertTrue(cudaJarNoGpu.describe().get(0).endsWith("<- java.io.IOException: Offline model is enabled."), cudaJarNoGpu.describe().get(0));
    assertTrue(cudaJarNoGpu.remedy().startsWith("the classpath carries DJL's CUDA libtorch"), cudaJarNoGpu.remedy());
    assertTrue(cudaJarNoGpu.remedy().contains("NVIDIA container toolkit") && cudaJarNoGpu.remedy().endsWith("build without -Pcuda"),
        cudaJarNoGpu.remedy());
  }

  private static LibtorchInfo info(Throwable loadError, boolean cudaBuild, String driver, String visible, String libPath) {
    return info(loadError, cudaBuild, driver, visible, libPath, List.of(cudaBuild ? "cu124 2.5.1-20241113" : "cpu 2.5.1-20241113"));
  }

  private static LibtorchInfo info(Throwable loadError, boolean cudaBuild, String driver, String visible, String libPath,
      List<String> bundled) {
    boolean loaded = loadError == null;
    return new LibtorchInfo(loadError, loaded ? "2.5.1" : null, loaded ? "/cache/pytorch/2.5.1-cu124-linux-x86_64" : null, cudaBuild,
        false, bundled, "no usable device (or no libcudart found)", driver, visible, libPath, null, null);
  }
}
