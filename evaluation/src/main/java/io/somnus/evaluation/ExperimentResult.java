package io.somnus.evaluation;

import java.util.List;
import java.util.Map;

/**
 * What one experiment produced: Markdown for the report (its own tables, then the side-by-side
 * comparison with the reference numbers), the plots it wrote, and the raw numbers for JSON.
 *
 * @param name the subcommand name, also the file stem of its outputs
 * @param title heading in the report
 * @param method one paragraph: what was measured and how, so a number can be read without the code
 * @param body Markdown tables of this run's numbers
 * @param comparison Markdown comparing with ../shared/spec/results-to-match.md; empty when the
 *     reference has nothing comparable
 * @param plots PNG file names, relative to the run directory
 * @param data raw per-seed numbers, serialised to {@code <name>.json}
 * @param seconds wall time of the experiment
 */
public record ExperimentResult(String name, String title, String method, String body, String comparison,
    List<String> plots, Map<String, Object> data, double seconds) {
  public ExperimentResult {
    plots = List.copyOf(plots);
  }

  public String markdown(String plotPrefix) {
    StringBuilder sb = new StringBuilder();
    sb.append("## ").append(title).append("\n\n").append(method.strip()).append("\n\n");
    sb.append(body.strip()).append("\n\n");
    for (String p : plots) sb.append("![").append(p).append("](").append(plotPrefix).append(p).append(")\n\n");
    if (!comparison.isBlank()) sb.append("### Compared with the reference\n\n").append(comparison.strip()).append("\n\n");
    sb.append(String.format(java.util.Locale.ROOT, "_Wall time: %.0f s._\n\n", seconds));
    return sb.toString();
  }
}
