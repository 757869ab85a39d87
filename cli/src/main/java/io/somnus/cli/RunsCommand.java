package io.somnus.cli;

import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.store.Lineage;
import io.somnus.store.TrackedRun;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "runs", description = {"Sleeps, naps and rollbacks of the model, newest first, from tracking: each with its outcome",
    "(promoted, kept-live, superseded, failed, ...) and the reasons it recorded (refusals, failures)."})
final class RunsCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--limit", defaultValue = "20", description = "Show at most this many runs (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--metrics", description = "Print every metric of each run.")
  boolean allMetrics;

  @Override
  public void run() {
    if (limit < 1) throw new IllegalArgumentException("--limit must be ≥ 1");
    SomnusConfig c = root.config();
    try (SomnusServices services = SomnusServices.connect(c)) {
      // straight from tracking: listing runs needs neither the artifact store nor Temporal
      List<Lineage.RunRecord> runs = services.tracking().searchRuns(services.experiment(), Map.of()).stream()
          .map(Lineage.RunRecord::of).toList();
      if (runs.isEmpty()) {
        System.out.println("no runs recorded for " + c.modelId() + " (experiment " + services.experiment() + ")");
        return;
      }
      System.out.printf("%-20s %-44s %-9s %-11s %-9s %-20s %s%n", "started", "run", "kind", "outcome", "status", "model version", "metrics");
      for (Lineage.RunRecord r : runs.subList(0, Math.min(limit, runs.size()))) {
        TrackedRun t = r.tracked();
        System.out.printf("%-20s %-44s %-9s %-11s %-9s %-20s %s%n", t.startTime() == null ? "" : t.startTime().toString().substring(0, 19),
            r.runId(), r.kind(), r.outcome() == null ? "-" : r.outcome(), t.status(), r.modelVersion() == null ? "-" : r.modelVersion(),
            metrics(t.latestMetrics()));
        r.reasons().forEach((k, v) -> System.out.printf("%20s   %s: %s%n", "", k, v));
      }
    }
  }

  private String metrics(Map<String, Double> m) {
    Map<String, Double> shown = new TreeMap<>(m);
    if (!allMetrics) shown.keySet().retainAll(List.of("recall_before", "recall_after", "candidate_recall", "ppl_before", "ppl_after",
        "raw_recall", "facts_advanced", "facts_retreated", "facts_carried", "facts_audited"));
    StringBuilder sb = new StringBuilder();
    shown.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(String.format("%.3g", v)));
    return sb.toString();
  }
}
