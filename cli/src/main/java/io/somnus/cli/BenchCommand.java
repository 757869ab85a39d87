package io.somnus.cli;

import io.somnus.engine.bench.EngineBenchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", description = {
    "Engine speed on this machine: forward, prefill, decode, gradient step, load time and peak memory, at each thread count;",
    "with --pytorch, beside the same network in plain PyTorch, with the ratio per metric (thread CPU, wall, process CPU)."})
final class BenchCommand implements Runnable {
  @Option(names = "--shapes", defaultValue = "tiny,layer1b",
      description = "Comma-separated: tiny (somnus-tiny class), layer1b (one layer of a 1B-class Llama), llama1b (Llama-3.2-1B's shape) (default ${DEFAULT-VALUE}).")
  String shapes;

  @Option(names = "--threads", defaultValue = "1,2", description = "libtorch intra-op thread counts to measure (default ${DEFAULT-VALUE}).")
  String threads;

  @Option(names = "--reps", defaultValue = "5", description = "Timed repetitions per measurement after a warm-up, at least 3 (default ${DEFAULT-VALUE}).")
  int reps;

  @Option(names = "--metrics", defaultValue = "forward,prefill,decode,step", description = "Which to time (default ${DEFAULT-VALUE}).")
  String metrics;

  @Option(names = "--device", description = "cpu or gpu (default: GPU when libtorch sees one).")
  String device;

  @Option(names = "--pytorch", description = "Also run the same network in plain PyTorch and print the engine's ratio to it.")
  boolean pytorch;

  @Option(names = "--python", defaultValue = "python3", description = "A Python with torch, for --pytorch (default ${DEFAULT-VALUE}).")
  String python;

  @Option(names = "--json", description = "Also write every result and ratio to this file as JSON lines.")
  Path json;

  @Option(names = "--cache", description = "Folder for the benchmark's random-weight checkpoints (default: $SOMNUS_HOME/bench).")
  Path cache;

  @Override
  public void run() {
    List<String> args = new ArrayList<>(List.of("--shapes", shapes, "--threads", threads, "--reps", Integer.toString(reps),
        "--metrics", metrics, "--python", python));
    if (device != null) args.addAll(List.of("--device", device));
    if (pytorch) args.add("--pytorch");
    if (json != null) args.addAll(List.of("--json", json.toString()));
    if (cache != null) args.addAll(List.of("--cache", cache.toString()));
    try {
      EngineBenchmark.main(args.toArray(String[]::new));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("benchmark failed: " + e.getMessage(), e);
    }
  }
}
