package io.somnus.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Turns a run directory into Markdown: {@code report.md} inside the run (plots linked by file
 * name) and {@code REPORT.md} next to the results folder (plots linked through the run's folder),
 * sections in suite order. Only files the run wrote are read, so the report always describes one
 * run and never mixes numbers from two.
 */
public final class ReportWriter {
  private ReportWriter() {}

  /** The newest run under {@code resultsRoot} (directories are named by timestamp). */
  public static Path latestRun(Path resultsRoot) {
    try (Stream<Path> s = Files.list(resultsRoot)) {
      return s.filter(Files::isDirectory).filter(d -> hasResults(d)).max(Comparator.comparing(d -> d.getFileName().toString()))
          .orElseThrow(() -> new IllegalStateException("no run with results under " + resultsRoot + "; run an experiment first"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + resultsRoot, e);
    }
  }

  private static boolean hasResults(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(f -> f.getFileName().toString().endsWith(".json"));
    } catch (IOException e) {
      return false;
    }
  }

  /** Writes both reports for {@code runDir}; returns the path of REPORT.md. */
  public static Path write(Path runDir, Path reportFile) {
    return write(runDir, reportFile, null);
  }

  /**
   * As {@link #write(Path, Path)}, with the sleep experiments' figures of {@code baselineDir} (an earlier run, or null
   * for none) side by side with this run's.
   */
  public static Path write(Path runDir, Path reportFile, Path baselineDir) {
    List<JsonNode> docs = read(runDir);
    if (docs.isEmpty()) throw new IllegalStateException("no experiment results in " + runDir);
    String comparison = baselineDir == null ? "" : PathComparison.section(baselineDir, read(baselineDir), runDir, docs);
    String prefix = reportFile.toAbsolutePath().getParent().relativize(runDir.toAbsolutePath()).toString().replace('\\', '/') + "/";
    AtomicFiles.write(runDir.resolve("report.md"), render(runDir, docs, "", comparison));
    AtomicFiles.write(reportFile, render(runDir, docs, prefix, comparison));
    return reportFile;
  }

  static List<JsonNode> read(Path runDir) {
    List<JsonNode> docs = new ArrayList<>();
    for (String name : EvaluationMain.ORDER) {
      Path f = runDir.resolve(name + ".json");
      if (!Files.isRegularFile(f)) continue;
      try {
        docs.add(RunContext.JSON.readTree(f.toFile()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f, e);
      }
    }
    return docs;
  }

  static String render(Path runDir, List<JsonNode> docs, String plotPrefix) {
    return render(runDir, docs, plotPrefix, "");
  }

  static String render(Path runDir, List<JsonNode> docs, String plotPrefix, String comparison) {
    JsonNode first = docs.get(0);
    StringBuilder sb = new StringBuilder();
    sb.append("# Somnus evaluation report\n\n");
    sb.append("Generated from run `").append(runDir.getFileName()).append("` by `EvaluationMain report`; do not edit by hand.\n\n");
    double total = 0;
    Markdown index = new Markdown("experiment", "status", "wall time (s)");
    for (JsonNode d : docs) {
      JsonNode r = d.get("result");
      total += r.get("seconds").asDouble();
      boolean failed = r.get("body").asText().startsWith("**FAILED");
      index.row("[" + r.get("title").asText() + "](#" + anchor(r.get("title").asText()) + ")", failed ? "failed" : "ok",
          String.format(Locale.ROOT, "%.0f", r.get("seconds").asDouble()));
    }
    // Runs written before the weights were named have no digest.
    String weights = first.hasNonNull("weights") ? " (weights sha256 `" + first.get("weights").asText() + "`)" : "";
    sb.append(String.format(Locale.ROOT, "Profile **%s** on model **%s**%s, seeds %s; %d experiments, %.1f min in all, "
        + "on %d cores (%s %s, Java %s).%n%n", first.get("profile").asText(), first.get("model").asText(), weights,
        first.get("seeds"), docs.size(), total / 60, Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
        System.getProperty("os.arch"), System.getProperty("java.version")));
    sb.append("Reproduce: `evaluation/evaluate.sh --quick` (or `--standard`), which runs\n");
    sb.append("`mvn -pl evaluation -am install -DskipTests` and then `EvaluationMain all --").append(first.get("profile").asText())
        .append("`.\nReference numbers are quoted from `../shared/spec/results-to-match.md` (single runs, 3B–70B Llama ")
        .append("models); ours are mean ± sd over seeds on a model of about a million parameters, so shapes and ")
        .append("ratios compare, absolute values do not.\n\n");
    sb.append(index).append('\n');
    sb.append(comparison);
    for (JsonNode d : docs) {
      JsonNode r = d.get("result");
      List<String> plots = new ArrayList<>();
      r.get("plots").forEach(p -> plots.add(p.asText()));
      ExperimentResult er = new ExperimentResult(r.get("name").asText(), r.get("title").asText(), r.get("method").asText(),
          r.get("body").asText(), r.get("comparison").asText(), plots, java.util.Map.of(), r.get("seconds").asDouble());
      sb.append(er.markdown(plotPrefix));
    }
    return sb.toString();
  }

  /** GitHub's heading anchor: lower case, spaces to '-', punctuation dropped. */
  static String anchor(String title) {
    return title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 \\-]", "").replace(' ', '-');
  }
}
