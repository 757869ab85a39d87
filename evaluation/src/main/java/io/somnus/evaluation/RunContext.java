package io.somnus.evaluation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.somnus.engine.io.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Where one run of the suite writes (results/&lt;timestamp&gt;/), with its profile and the model.
 * Each experiment leaves {@code <name>.json} (raw numbers), {@code <name>.md} (its report section)
 * and its PNG plots there.
 */
public final class RunContext {
  /** NaN (a measure with nothing to measure) is written as the string "NaN", Jackson's default. */
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Profile profile;
  private final Path dir;
  private final PrintStream log;
  private Models models;
  private boolean traceChecks;

  public RunContext(Profile profile, Path resultsRoot, PrintStream log) {
    this(profile, log, resultsRoot.resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + profile.name()));
  }

  /** Adds to an existing run folder (e.g. to finish an interrupted suite); its profile must match. */
  public RunContext(Profile profile, PrintStream log, Path runDir) {
    this.profile = profile;
    this.dir = runDir;
    this.log = log;
    for (com.fasterxml.jackson.databind.JsonNode d : ReportWriter.read(runDir)) {
      if (!d.get("profile").asText().equals(profile.name())) {
        throw new IllegalArgumentException(runDir + " holds a " + d.get("profile").asText() + " run, not " + profile.name());
      }
    }
  }

  public Profile profile() {
    return profile;
  }

  public Path dir() {
    return dir;
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** Makes {@link #checkTrace} trace the recall checks of every sleep. */
  public void traceChecks(boolean on) {
    traceChecks = on;
  }

  /**
   * A trace of the recall checks of one experiment's sleeps, appended to {@code checks-<experiment>.txt}; null unless
   * {@link #traceChecks} is on. The caller closes it.
   *
   * @param run what its lines are about, e.g. "seed S"
   */
  CheckTrace checkTrace(String experiment, String run) {
    return traceChecks ? new CheckTrace(file("checks-" + experiment + ".txt"), run) : null;
  }

  /** The model, built or found on first use. */
  public synchronized Models models() {
    if (models == null) models = new Models(profile.variant());
    return models;
  }

  public void log(String format, Object... args) {
    log.printf(java.util.Locale.ROOT, format + "%n", args);
    log.flush();
  }

  /** Writes the experiment's JSON and Markdown next to its plots. */
  public void save(ExperimentResult r) {
    try {
      java.util.Map<String, Object> doc = new java.util.LinkedHashMap<>();
      doc.put("experiment", r.name());
      doc.put("profile", profile.name());
      doc.put("model", profile.variant().name());
      // Only once an experiment has loaded the model: saving must not build one.
      synchronized (this) {
        if (models != null) doc.put("weights", models.weightsDigest());
      }
      doc.put("seeds", profile.seeds());
      doc.put("validation", profile.validation());
      doc.put("result", r);
      AtomicFiles.write(file(r.name() + ".json"), JSON.writeValueAsBytes(doc));
      AtomicFiles.write(file(r.name() + ".md"), r.markdown(""));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise results of " + r.name(), e);
    }
  }
}
