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

@Command(name = "runs", description = "Sleeps, naps and rollbacks of the model, newest first, from tracking.")
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
      List<TrackedRun> runs = services.tracking().searchRuns(services.experiment(), Map.of());
      if (runs.isEmpty()) {
        System.out.println("no runs recorded for " + c.modelId() + " (experiment " + services.experiment() + ")");
        return;
      }
      System.out.printf("%-20s %-44s %-11s %-22s %s%n", "started", "run", "outcome", "model version", "metrics");
      for (TrackedRun r : runs.subList(0, Math.min(limit, runs.size()))) {
        String runId = r.tags().getOrDefault(Lineage.RUN_ID_TAG, r.runName());
        String version = r.tags().getOrDefault(Lineage.MODEL_VERSION_TAG, "");
        // the outcome says what the run did; the tracking status only whether it ran to its end
        String outcome = r.tags().getOrDefault(Lineage.OUTCOME_TAG, r.status().name().toLowerCase(java.util.Locale.ROOT));
        System.out.printf("%-20s %-44s %-11s %-22s %s%n", r.startTime() == null ? "" : r.startTime().toString().substring(0, 19),
            runId, outcome, version, metrics(r.latestMetrics()));
        String reason = r.params().get("reason");
        if (reason != null) System.out.println("    " + (r.params().containsKey("failed_step") ? "failed in " + r.params().get("failed_step") + ": " : "") + reason);
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
