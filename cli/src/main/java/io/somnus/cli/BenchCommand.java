package io.somnus.cli;

import io.somnus.engine.bench.EngineBenchmark;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", description = "Engine speed on this machine: forward, prefill, decode, gradient step, peak memory.")
final class BenchCommand implements Runnable {
  @Option(names = "--reps", defaultValue = "5", description = "Repetitions per measurement (default ${DEFAULT-VALUE}).")
  int reps;

  @Option(names = "--device", description = "cpu or gpu (default: GPU when libtorch sees one).")
  String device;

  @Override
  public void run() {
    if (device != null && !device.equals("cpu") && !device.equals("gpu")) throw new IllegalArgumentException("--device must be cpu or gpu, got " + device);
    List<String> args = new ArrayList<>(List.of("--reps", Integer.toString(reps)));
    if (device != null) args.addAll(List.of("--device", device));
    EngineBenchmark.main(args.toArray(String[]::new));
  }
}
