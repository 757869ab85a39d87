package io.somnus.engine.bench;

import ai.djl.Device;
import io.somnus.engine.model.Runtimes;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --key value} pairs and {@code --flag}s of the benchmark's processes. */
record Args(Map<String, String> values) {
  static Args parse(String[] args) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option, got '" + args[i] + "'");
      String key = args[i].substring(2);
      boolean flag = i + 1 == args.length || args[i + 1].startsWith("--");
      m.put(key, flag ? "true" : args[++i]);
    }
    return new Args(m);
  }

  String get(String key) {
    String v = values.get(key);
    if (v == null) throw new IllegalArgumentException("--" + key + " is required");
    return v;
  }

  String get(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  List<String> list(String key) {
    return Arrays.stream(get(key).split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  int reps() {
    int reps = Integer.parseInt(get("reps", "5"));
    if (reps < 3) throw new IllegalArgumentException("--reps must be at least 3 for a median with a spread, got " + reps);
    return reps;
  }

  Device device() {
    String d = get("device", null);
    if (d == null) return Runtimes.preferredDevice();
    return switch (d) {
      case "cpu" -> Device.cpu();
      case "gpu" -> Device.gpu();
      default -> throw new IllegalArgumentException("--device must be cpu or gpu, got " + d);
    };
  }
}
