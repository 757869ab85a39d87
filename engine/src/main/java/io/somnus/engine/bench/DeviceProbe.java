package io.somnus.engine.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.LibtorchInfo;
import io.somnus.engine.model.Runtimes;
import java.util.Locale;

/**
 * Says what DJL loaded and whether a device is usable, then proves it with one matrix product on that device. The
 * first step of scripts/gpu/device-check.sh, and a quick check on any host: exit status 0 only when the requested
 * device computed the product.
 *
 * <p>Usage: {@code DeviceProbe [--device cpu|gpu|auto]} (default: $SOMNUS_DEVICE, else auto).
 */
public final class DeviceProbe {
  private DeviceProbe() {}

  public static void main(String[] args) {
    Locale.setDefault(Locale.ROOT);
    String request = System.getenv("SOMNUS_DEVICE");
    String setting = "SOMNUS_DEVICE";
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].equals("--device")) throw new IllegalArgumentException("unknown option " + args[i] + " (only --device)");
      request = args[i + 1];
      setting = "--device";
    }
    LibtorchInfo info = LibtorchInfo.probe();
    for (String line : info.describe()) System.out.println("  " + line);
    Device device = Runtimes.device(request, setting);
    try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
      NDArray a = m.ones(new Shape(1024, 1024)).div(1024f);
      float sum = a.matMul(a).sum().getFloat(); // every entry is 1/1024, so the sum is exactly 1024
      System.out.printf("device %s: 1024×1024 product sums to %.1f (expected 1024.0)%n", device, sum);
      if (Math.abs(sum - 1024f) > 1e-2f) throw new IllegalStateException("wrong product on " + device + ": " + sum);
    }
  }
}
