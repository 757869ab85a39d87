package io.somnus.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The sleep experiments' figures of two runs side by side: a baseline (e.g. the last run whose sleeps ran through the
 * engine's former in-process driver) and this run. Only the experiments whose sleeps changed driver are compared figure
 * by figure; the others measure MEMIT alone and are in their own sections.
 */
final class PathComparison {
  private PathComparison() {}

  /** The section, or empty when the baseline holds none of the compared experiments. */
  static String section(Path baselineDir, List<JsonNode> baseline, Path runDir, List<JsonNode> run) {
    StringBuilder sb = new StringBuilder();
    JsonNode oldSweep = find(baseline, "consolidation-sweep");
    JsonNode newSweep = find(run, "consolidation-sweep");
    JsonNode oldLife = find(baseline, "lifetime");
    JsonNode newLife = find(run, "lifetime");
    JsonNode oldBench = find(baseline, "bench");
    JsonNode newBench = find(run, "bench");
    if (oldSweep == null && oldLife == null && oldBench == null) return "";
    sb.append("## Before and after: the sleeps on the product path\n\n");
    sb.append(String.format(Locale.ROOT, "Baseline `%s` (weights %s): sleeps run by the evaluation's own driver over the "
            + "engine (`SleepCycle`). This run `%s` (weights %s): sleeps run by the product, the sleep workflow on an embedded "
            + "stack with the worker's steps. Mean over seeds, baseline → this run.%n%n", baselineDir.getFileName(),
        weights(baseline), runDir.getFileName(), weights(run)));
    if (oldSweep != null && newSweep != null) sb.append(sweep(oldSweep, newSweep));
    if (oldLife != null && newLife != null) sb.append(lifetime(oldLife, newLife));
    if (oldBench != null && newBench != null) sb.append(bench(oldBench, newBench));
    sb.append("Wall time per experiment (s), baseline → this run (both on 2 cores; this run's machine was shared):\n\n");
    Markdown t = new Markdown("experiment", "baseline", "this run");
    for (String name : EvaluationMain.ORDER) {
      JsonNode a = find(baseline, name);
      JsonNode b = find(run, name);
      if (a == null && b == null) continue;
      t.row(name, a == null ? "–" : fmt0(a.get("result").get("seconds").asDouble()),
          b == null ? "–" : fmt0(b.get("result").get("seconds").asDouble()));
    }
    sb.append(t).append('\n');
    return sb.toString();
  }

  private static String sweep(JsonNode before, JsonNode after) {
    Markdown t = new Markdown("facts N", "cycle", "chat recall", "raw recall", "known-fact chat recall", "facts at stage 3",
        "promoted", "LoRA steps", "sleep s");
    List<JsonNode> a = points(before);
    List<JsonNode> b = points(after);
    for (int n : ints(b, "facts")) {
      for (int c : ints(b, "cycle")) {
        Predicate<JsonNode> at = p -> p.get("facts").asInt() == n && p.get("cycle").asInt() == c;
        List<JsonNode> x = a.stream().filter(at).toList();
        List<JsonNode> y = b.stream().filter(at).toList();
        if (y.isEmpty()) continue;
        boolean wake = c == 0;
        t.row(n, wake ? "0 (after wake)" : c, pair(x, y, p -> number(p.get("chat")), 2), pair(x, y, p -> number(p.get("raw")), 2),
            pair(x, y, p -> number(p.get("known")), 2), pair(x, y, p -> number(p.path("stages").get(3)), 1),
            wake ? "–" : promoted(x) + " → " + promoted(y), wake ? "–" : pair(x, y, p -> number(p.get("trainingSteps")), 0),
            wake ? "–" : pair(x, y, p -> number(p.get("seconds")), 0));
      }
    }
    return "Consolidation sweep:\n\n" + t + "\n";
  }

  private static String lifetime(JsonNode before, JsonNode after) {
    Markdown t = new Markdown("wave", "chat recall (all)", "raw recall (all)", "chat recall (oldest wave)", "chat recall (newest wave)",
        "known-fact chat recall after the sleep", "promoted", "LoRA steps", "sleep s");
    List<JsonNode> a = points(before);
    List<JsonNode> b = points(after);
    for (int w : ints(b, "wave")) {
      Predicate<JsonNode> at = p -> p.get("wave").asInt() == w;
      List<JsonNode> x = a.stream().filter(at).toList();
      List<JsonNode> y = b.stream().filter(at).toList();
      t.row(w, pair(x, y, p -> number(p.get("chatAll")), 2), pair(x, y, p -> number(p.get("rawAll")), 2),
          pair(x, y, p -> number(p.get("chatOldest")), 2), pair(x, y, p -> number(p.get("chatNewest")), 2),
          pair(x, y, p -> number(p.get("known")), 2), promoted(x) + " → " + promoted(y),
          pair(x, y, p -> number(p.get("trainingSteps")), 0), pair(x, y, p -> number(p.get("sleepSeconds")), 0));
    }
    return "Lifetime:\n\n" + t + "\n";
  }

  private static String bench(JsonNode before, JsonNode after) {
    JsonNode a = before.get("result").get("data").get("sleep");
    JsonNode b = after.get("result").get("data").get("sleep");
    if (a == null || b == null || a.isEmpty() || b.isEmpty()) return "";
    return String.format(Locale.ROOT, "Benchmark sleep: %s facts, %s → %s, %s → %s training steps, %.1f → %.1f s per fact.%n%n",
        b.get("facts").asText(), a.get("status").asText().toLowerCase(Locale.ROOT), b.get("status").asText().toLowerCase(Locale.ROOT),
        a.get("trainingSteps").asText(), b.get("trainingSteps").asText(), a.get("secondsPerFact").asDouble(),
        b.get("secondsPerFact").asDouble());
  }

  private static String pair(List<JsonNode> before, List<JsonNode> after, ToDoubleFunction<JsonNode> f, int decimals) {
    return mean(before, f, decimals) + " → " + mean(after, f, decimals);
  }

  /** Mean over the points that recorded the figure; "–" when none did (an older run may not have measured it). */
  private static String mean(List<JsonNode> points, ToDoubleFunction<JsonNode> f, int decimals) {
    double[] recorded = points.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).toArray();
    if (recorded.length == 0) return "–";
    return String.format(Locale.ROOT, "%." + decimals + "f", Arrays.stream(recorded).average().orElseThrow());
  }

  /** A figure of a point; NaN when the point has none. */
  private static double number(JsonNode value) {
    return value == null || !value.isNumber() ? Double.NaN : value.asDouble();
  }

  /** Promoted sleeps of {@code points} out of all (old runs wrote PROMOTED, the product writes promoted). */
  private static String promoted(List<JsonNode> points) {
    if (points.isEmpty()) return "–";
    long n = points.stream().filter(p -> p.get("status").asText().equalsIgnoreCase("promoted")).count();
    return n + "/" + points.size();
  }

  private static List<Integer> ints(List<JsonNode> points, String field) {
    return points.stream().map(p -> p.get(field).asInt()).distinct().sorted().toList();
  }

  private static List<JsonNode> points(JsonNode doc) {
    List<JsonNode> out = new ArrayList<>();
    doc.get("result").get("data").get("points").forEach(out::add);
    return out;
  }

  private static JsonNode find(List<JsonNode> docs, String experiment) {
    return docs.stream().filter(d -> d.get("experiment").asText().equals(experiment)).findFirst().orElse(null);
  }

  private static String weights(List<JsonNode> docs) {
    return docs.stream().filter(d -> d.hasNonNull("weights")).map(d -> "`" + d.get("weights").asText() + "`").findFirst()
        .orElse("unrecorded");
  }

  private static String fmt0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
