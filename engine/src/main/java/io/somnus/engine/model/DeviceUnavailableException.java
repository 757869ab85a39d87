package io.somnus.engine.model;

/**
 * The compute device that was asked for cannot be used: a GPU where libtorch sees none, or any device when the
 * PyTorch engine does not load. The message says what was asked, what DJL and libtorch found, and what to do;
 * falling back to the CPU is never done silently.
 */
public final class DeviceUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final transient LibtorchInfo info;

  public DeviceUnavailableException(String request, LibtorchInfo info) {
    super(message(request, info), info.loadError());
    this.info = info;
  }

  public LibtorchInfo info() {
    return info;
  }

  private static String message(String request, LibtorchInfo info) {
    StringBuilder sb = new StringBuilder(request)
        .append(info.loadError() != null ? ", but the PyTorch engine did not load. Found:" : ", but no GPU is usable. Found:");
    for (String line : info.describe()) sb.append("\n  ").append(line);
    return sb.append("\nWhat to do: ").append(info.remedy()).toString();
  }
}
