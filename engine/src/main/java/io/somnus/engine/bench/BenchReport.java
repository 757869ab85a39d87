package io.somnus.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** One shape's results as a table (engine beside plain PyTorch, with their ratio) and as JSON ratio lines. */
final class BenchReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] CLOCKS = {{"thread_cpu_s", "thread CPU"}, {"wall_s", "wall"}, {"process_cpu_s", "process CPU"}};

  private final BenchShape shape;
  private final List<JsonNode> engine;
  private final List<JsonNode> torch;

  BenchReport(BenchShape shape, List<JsonNode> engine, List<JsonNode> torch) {
    this.shape = shape;
    this.engine = engine;
    this.torch = torch;
  }

  void print(PrintStream out) {
    out.printf("%n== %s: %s, %,d parameters; forward and step on %d×%d tokens, prefill %d, decode %d ==%n", shape.name(),
        shape.description(), shape.config().parameterCount(), shape.batch(), shape.prompt(), shape.prompt(), shape.decode());
    JsonNode eLoad = event(engine, "load");
    JsonNode ePeak = event(engine, "peak");
    out.printf("engine : load %.2f s, peak RSS %.0f MiB (libtorch %s, Java %s)%n", eLoad.get("load_s").asDouble(),
        ePeak.get("peak_rss_mib").asDouble(), eLoad.path("libtorch").asText(), eLoad.path("java").asText());
    if (!torch.isEmpty()) {
      JsonNode tLoad = event(torch, "load");
      JsonNode tPeak = event(torch, "peak");
      out.printf("pytorch: load %.2f s, peak RSS %.0f MiB (torch %s, BLAS %s)%n", tLoad.get("load_s").asDouble(),
          tPeak.get("peak_rss_mib").asDouble(), tLoad.path("torch").asText(), tLoad.path("blas"));
      out.printf("ratio  : load %.2f, peak RSS %.2f; last-position logits agree to %.1e of their scale%n",
          eLoad.get("load_s").asDouble() / tLoad.get("load_s").asDouble(),
          ePeak.get("peak_rss_mib").asDouble() / tPeak.get("peak_rss_mib").asDouble(), logitsDisagreement());
    }
    out.printf("%n%-7s %-8s", "threads", "metric");
    for (String[] c : CLOCKS) out.printf(" | %-44s", c[1] + (torch.isEmpty() ? " (median ± spread)" : ": engine, pytorch, ratio"));
    out.println();
    for (JsonNode e : results(engine)) {
      JsonNode t = match(e);
      out.printf("%-7d %-8s", e.get("threads").asInt(), e.get("metric").asText());
      for (String[] c : CLOCKS) {
        double em = median(e.get(c[0]));
        String cell = ms(em, e.get(c[0]));
        if (t != null) cell += "  " + ms(median(t.get(c[0])), t.get(c[0])) + String.format("  %5.2f", em / median(t.get(c[0])));
        out.printf(" | %-44s", cell);
      }
      out.println();
    }
    if (!torch.isEmpty()) out.println("(ratio: engine ÷ pytorch, medians; ± is (max − min) ÷ median over the repetitions; decode is per token)");
  }

  /** Ratio lines for machine readers: per metric and thread count, and for load time and peak memory. */
  List<ObjectNode> ratios() {
    List<ObjectNode> out = new ArrayList<>();
    if (torch.isEmpty()) return out;
    for (JsonNode e : results(engine)) {
      JsonNode t = match(e);
      if (t == null) continue;
      ObjectNode n = JSON.createObjectNode().put("event", "ratio").put("shape", shape.name()).put("threads", e.get("threads").asInt())
          .put("metric", e.get("metric").asText());
      for (String[] c : CLOCKS) {
        n.put("engine_" + c[0], median(e.get(c[0]))).put("pytorch_" + c[0], median(t.get(c[0])))
            .put(c[0].replace("_s", "") + "_ratio", median(e.get(c[0])) / median(t.get(c[0])));
      }
      out.add(n);
    }
    out.add(JSON.createObjectNode().put("event", "ratio").put("shape", shape.name()).put("metric", "load_s")
        .put("ratio", event(engine, "load").get("load_s").asDouble() / event(torch, "load").get("load_s").asDouble()));
    out.add(JSON.createObjectNode().put("event", "ratio").put("shape", shape.name()).put("metric", "peak_rss_mib")
        .put("ratio", event(engine, "peak").get("peak_rss_mib").asDouble() / event(torch, "peak").get("peak_rss_mib").asDouble()));
    out.add(JSON.createObjectNode().put("event", "ratio").put("shape", shape.name()).put("metric", "logits_disagreement")
        .put("value", logitsDisagreement()));
    return out;
  }

  /** Largest difference of the two implementations' first logits, relative to their largest magnitude. */
  private double logitsDisagreement() {
    JsonNode a = event(engine, "check").get("logits");
    JsonNode b = event(torch, "check").get("logits");
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < a.size(); i++) {
      diff = Math.max(diff, Math.abs(a.get(i).asDouble() - b.get(i).asDouble()));
      scale = Math.max(scale, Math.abs(b.get(i).asDouble()));
    }
    return diff / scale;
  }

  private static List<JsonNode> results(List<JsonNode> lines) {
    return lines.stream().filter(n -> n.has("metric")).toList();
  }

  private JsonNode match(JsonNode e) {
    for (JsonNode t : results(torch)) {
      if (t.get("metric").asText().equals(e.get("metric").asText()) && t.get("threads").asInt() == e.get("threads").asInt()) return t;
    }
    return null;
  }

  private static JsonNode event(List<JsonNode> lines, String event) {
    return lines.stream().filter(n -> event.equals(n.path("event").asText())).findFirst()
        .orElseThrow(() -> new IllegalStateException("a benchmark process reported no '" + event + "' line"));
  }

  private static double median(JsonNode values) {
    return Timing.median(array(values));
  }

  private static String ms(double median, JsonNode values) {
    return String.format("%8.2f ms ±%3.0f%%", median * 1e3, 100 * Timing.spread(array(values)));
  }

  private static double[] array(JsonNode values) {
    double[] d = new double[values.size()];
    for (int i = 0; i < d.length; i++) d[i] = values.get(i).asDouble();
    return d;
  }

}
