package io.somnus.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Somnus runs as tracking runs, the way an MLflow user reads them: a sleep is one run from HealthCheck to Report
 * (its real start and end time, per-step durations, the LoRA loss curve as a metric history), a wake write (teach
 * or chat) is a run of its own, and every run links its artifacts and says in one vocabulary which versions it
 * touched.
 *
 * <p>Runs are found by the Somnus run id (tag {@value Lineage#RUN_ID_TAG}), so any step of a workflow, on any worker,
 * can add to its run. Every method is idempotent for the same input (parameters equal to the logged ones are
 * skipped, identical metric points are stored once, tags are overwritten with the same value), so a step Temporal
 * retries may call it again.
 *
 * <p>Versions, one meaning each (parameters):
 * <ul>
 *   <li>{@value #LIVE_BEFORE}: live when the run started;
 *   <li>{@value #TRAINED_VERSION}: the LoRA-fused version of the last attempt (FuseToTemp), before gating;
 *   <li>{@value #GATED_VERSION}: that version with the gate's edit scales, the one validation judged (Validate);
 *   <li>{@value #PROMOTED_VERSION}: the version this run made live, only when it did;
 *   <li>{@value #LIVE_AFTER}: live when the run ended.
 * </ul>
 * The tag {@value Lineage#MODEL_VERSION_TAG} repeats {@value #LIVE_AFTER}: the version serving after the run.
 *
 * <p>Artifacts are linked, not copied: tags {@code somnus.artifact.<name>} hold their S3 URIs (searchable: "which run
 * produced this adapter?" is a runs/search), and the run's description ({@value #NOTE_TAG}, rendered by MLflow's UI)
 * lists them with the versions.
 */
public final class RunTracker {
  /** What kind of run it was: sleep, nap, rollback, wake, import. */
  public static final String KIND_TAG = "somnus.kind";
  /** How it ended: promoted, kept-live, superseded, failed, rolled-back, ... */
  public static final String OUTCOME_TAG = "somnus.outcome";
  public static final String MODEL_ID_TAG = "somnus.model_id";
  /** MLflow's run description, rendered as Markdown on the run page. */
  public static final String NOTE_TAG = "mlflow.note.content";

  public static final String LIVE_BEFORE = "live_before";
  public static final String TRAINED_VERSION = "trained_version";
  public static final String GATED_VERSION = "gated_version";
  public static final String PROMOTED_VERSION = "promoted_version";
  public static final String LIVE_AFTER = "live_after";

  /** Metric per step: {@code step_seconds.TrainLora}, one point per attempt (MLflow step = attempt). */
  public static final String STEP_SECONDS_PREFIX = "step_seconds.";
  public static final String LORA_LOSS = "lora_loss";
  public static final String STAGE_TABLE_ARTIFACT = "stage_table";
  public static final String MODEL_VERSION_ARTIFACT = "model_version";

  /** How a run starts: the same record is passed to {@link #begin} and {@link #end}. */
  public record RunStart(String somnusRunId, String kind, String modelId, Instant startedAt, Map<String, String> params,
      Map<String, String> tags) {
    public RunStart {
      if (somnusRunId == null || somnusRunId.isBlank()) throw new IllegalArgumentException("Somnus run id is empty");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(startedAt, "startedAt");
      params = params == null ? Map.of() : Map.copyOf(params);
      tags = tags == null ? Map.of() : Map.copyOf(tags);
    }
  }

  /** The versions a run touched (null: not applicable), recorded under the names above. */
  public record Versions(String liveBefore, String trainedVersion, String gatedVersion, String promotedVersion, String liveAfter) {
    public static Versions none() {
      return new Versions(null, null, null, null, null);
    }

    Map<String, String> params() {
      Map<String, String> p = new LinkedHashMap<>();
      if (liveBefore != null) p.put(LIVE_BEFORE, liveBefore);
      if (trainedVersion != null) p.put(TRAINED_VERSION, trainedVersion);
      if (gatedVersion != null) p.put(GATED_VERSION, gatedVersion);
      if (promotedVersion != null) p.put(PROMOTED_VERSION, promotedVersion);
      if (liveAfter != null) p.put(LIVE_AFTER, liveAfter);
      return p;
    }
  }

  /**
   * How a run ended.
   *
   * @param metrics final figures, logged at step 0 with timestamp {@code endedAt}
   * @param artifacts artifact name → URI, e.g. {@code adapter → s3://somnus/sha256/…} (names: {@link #adapterArtifact})
   */
  public record RunEnd(RunOutcome outcome, Instant endedAt, Versions versions, Map<String, String> params,
      Map<String, Double> metrics, List<StepTiming> steps, Map<String, String> artifacts) {
    public RunEnd {
      Objects.requireNonNull(outcome, "outcome");
      Objects.requireNonNull(endedAt, "endedAt");
      versions = versions == null ? Versions.none() : versions;
      params = params == null ? Map.of() : Map.copyOf(params);
      metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
      steps = steps == null ? List.of() : List.copyOf(steps);
      artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
    }
  }

  private final Tracking tracking;
  private final String experiment;
  private final Map<String, String> known = new ConcurrentHashMap<>();

  public RunTracker(Tracking tracking, String experiment) {
    this.tracking = Objects.requireNonNull(tracking);
    if (experiment == null || experiment.isBlank()) throw new IllegalArgumentException("experiment name is empty");
    this.experiment = experiment;
  }

  public String experiment() {
    return experiment;
  }

  /** The tracking run of a Somnus run, if one was started. */
  public Optional<String> find(String somnusRunId) {
    String id = known.get(somnusRunId);
    if (id != null) return Optional.of(id);
    Optional<String> found = tracking.searchRuns(experiment, Map.of(Lineage.RUN_ID_TAG, somnusRunId)).stream()
        .reduce((newer, older) -> older).map(TrackedRun::runId); // the first started, should a race have made two
    found.ifPresent(f -> known.put(somnusRunId, f));
    return found;
  }

  /**
   * Starts the run at {@code start.startedAt()} (e.g. at HealthCheck, with the workflow's start time) with its input
   * parameters, or returns the run already started for this Somnus run id.
   */
  public String begin(RunStart start) {
    Optional<String> existing = find(start.somnusRunId());
    if (existing.isPresent()) {
      tracking.logParams(existing.get(), start.params());
      return existing.get();
    }
    Map<String, String> tags = new TreeMap<>(start.tags());
    tags.put(Lineage.RUN_ID_TAG, start.somnusRunId());
    tags.put(KIND_TAG, start.kind());
    if (start.modelId() != null) tags.put(MODEL_ID_TAG, start.modelId());
    String id = tracking.startRun(experiment, start.somnusRunId(), tags, start.startedAt());
    known.put(start.somnusRunId(), id);
    tracking.logParams(id, start.params());
    return id;
  }

  /** Per-step durations as metrics {@code step_seconds.<step>}, one point per attempt, timestamped at the step's end. */
  public void logSteps(String somnusRunId, List<StepTiming> steps) {
    if (!steps.isEmpty()) tracking.logMetrics(require(somnusRunId), stepPoints(steps));
  }

  /**
   * A metric history, e.g. the LoRA loss of every training step: point i at step i, timestamps spread evenly from
   * {@code from} to {@code to} (the training's own start and end), so the same curve logged again adds nothing.
   */
  public void logCurve(String somnusRunId, String key, double[] values, Instant from, Instant to) {
    tracking.logMetrics(require(somnusRunId), curve(key, values, from, to));
  }

  /** Parameters a step learns while the run is open (e.g. the LoRA settings a model's own sleep settings chose). */
  public void logParams(String somnusRunId, Map<String, String> params) {
    if (!params.isEmpty()) tracking.logParams(require(somnusRunId), params);
  }

  /** Links artifacts by URI: tags {@code somnus.artifact.<name>}. */
  public void linkArtifacts(String somnusRunId, Map<String, String> artifacts) {
    if (!artifacts.isEmpty()) tracking.setTags(require(somnusRunId), artifactTags(artifacts));
  }

  /**
   * Ends the run (started now, at {@code start.startedAt()}, if {@link #begin} never ran or its tracking call failed):
   * versions and parameters, final metrics, step durations, artifact links, the outcome tag and description, then the
   * MLflow status of the outcome ({@link RunOutcome#status()}) at {@code end.endedAt()}.
   */
  public TrackedRun end(RunStart start, RunEnd end) {
    String id = begin(start);
    Map<String, String> params = new LinkedHashMap<>(end.versions().params());
    params.putAll(end.params());
    tracking.logParams(id, params);
    List<MetricPoint> points = new ArrayList<>();
    long at = end.endedAt().toEpochMilli();
    new TreeMap<>(end.metrics()).forEach((k, v) -> {
      if (v != null) points.add(new MetricPoint(k, v, 0, at));
    });
    points.addAll(stepPoints(end.steps()));
    if (!points.isEmpty()) tracking.logMetrics(id, points);
    Map<String, String> tags = artifactTags(end.artifacts());
    tags.put(OUTCOME_TAG, end.outcome().tagValue());
    if (end.versions().liveAfter() != null) tags.put(Lineage.MODEL_VERSION_TAG, end.versions().liveAfter());
    Map<String, String> links = new TreeMap<>(tracking.getRun(id).artifactLinks());
    links.putAll(end.artifacts());
    tags.put(NOTE_TAG, note(start, end, links));
    tracking.setTags(id, tags);
    tracking.endRun(id, end.outcome().status(), end.endedAt());
    return tracking.getRun(id);
  }

  /**
   * A wake write (teach or chat) as one finished run: the facts written (params {@code fact.<id>}), the ones the new
   * edit displaced and the write repaired ({@code repaired.<id>}), those skipped and why ({@code skipped.<n>}), the
   * recall measured right after (metrics {@code fact.<id>.raw_recall}, {@code recall_right_after}), the edit and its
   * artifact, and the version it made live.
   */
  public TrackedRun recordWake(WakeRecord w) {
    Map<String, String> startParams = new LinkedHashMap<>();
    startParams.put("source", w.source());
    startParams.put("facts_requested", Integer.toString(w.facts().size() + w.skipped().size()));
    RunStart start = new RunStart(w.somnusRunId(), "wake", w.modelId(), w.startedAt(), startParams, Map.of());
    Map<String, String> params = new LinkedHashMap<>();
    if (w.editId() != null) params.put("edit_id", w.editId());
    Map<String, Double> metrics = new LinkedHashMap<>();
    int written = 0;
    int repaired = 0;
    int recalled = 0;
    int probed = 0;
    for (WakeRecord.WrittenFact f : w.facts()) {
      params.put((f.repaired() ? "repaired." : "fact.") + f.factId(), f.sentence());
      if (f.repaired()) repaired++;
      else written++;
      if (f.recalledRightAfter() != null) {
        metrics.put("fact." + f.factId() + ".raw_recall", f.recalledRightAfter() ? 1.0 : 0.0);
        if (!f.repaired()) {
          probed++;
          if (f.recalledRightAfter()) recalled++;
        }
      }
    }
    int n = 0;
    for (Map.Entry<String, String> s : new TreeMap<>(w.skipped()).entrySet()) params.put("skipped." + ++n, s.getKey() + " — " + s.getValue());
    metrics.put("facts_written", (double) written);
    metrics.put("facts_repaired", (double) repaired);
    metrics.put("facts_skipped", (double) w.skipped().size());
    if (probed > 0) metrics.put("recall_right_after", recalled / (double) probed);
    String promoted = w.outcome() == RunOutcome.TAUGHT ? w.liveAfter() : null;
    return end(start, new RunEnd(w.outcome(), w.endedAt(), new Versions(w.liveBefore(), null, null, promoted, w.liveAfter()),
        params, metrics, w.steps(), w.artifacts()));
  }

  /**
   * The import of a base checkpoint as the first live version, as one finished run: where the checkpoint came from and
   * the version it became, so that the registry's first model version has a run like every later one.
   */
  public TrackedRun recordImport(String somnusRunId, String modelId, String checkpoint, String versionId, String manifestUri,
      Instant startedAt, Instant endedAt) {
    RunStart start = new RunStart(somnusRunId, "import", modelId, startedAt, Map.of("checkpoint", checkpoint), Map.of());
    return end(start, new RunEnd(RunOutcome.IMPORTED, endedAt, new Versions(null, null, null, versionId, versionId), Map.of(),
        Map.of(), List.of(), Map.of(MODEL_VERSION_ARTIFACT, manifestUri)));
  }

  /** {@code lora_loss} for a sleep's first training, {@code lora_loss.attempt_2} for the retry after a refusal, ... */
  public static String loraLossKey(int attempt) {
    return attempt == 0 ? LORA_LOSS : LORA_LOSS + ".attempt_" + (attempt + 1);
  }

  /** {@code adapter}, {@code adapter.attempt_2}, ...: the LoRA adapter each training attempt stored. */
  public static String adapterArtifact(int attempt) {
    return attempt == 0 ? "adapter" : "adapter.attempt_" + (attempt + 1);
  }

  /** {@code memit_edit.<edit id>}: a MEMIT edit set's safetensors blob. */
  public static String memitEditArtifact(String editId) {
    return "memit_edit." + editId;
  }

  static List<MetricPoint> curve(String key, double[] values, Instant from, Instant to) {
    long a = from.toEpochMilli();
    long span = Math.max(0, to.toEpochMilli() - a);
    List<MetricPoint> points = new ArrayList<>(values.length);
    for (int i = 0; i < values.length; i++) {
      long t = values.length == 1 ? a + span : a + span * (i + 1) / values.length; // step i ends at this share of the time
      points.add(new MetricPoint(key, values[i], i, t));
    }
    return points;
  }

  private static List<MetricPoint> stepPoints(List<StepTiming> steps) {
    List<MetricPoint> out = new ArrayList<>();
    for (StepTiming s : steps) {
      out.add(new MetricPoint(STEP_SECONDS_PREFIX + s.step(), s.duration().toMillis() / 1000.0, s.attempt(), s.ended().toEpochMilli()));
    }
    return out;
  }

  private static Map<String, String> artifactTags(Map<String, String> artifacts) {
    Map<String, String> tags = new TreeMap<>();
    artifacts.forEach((name, uri) -> tags.put(Tracking.ARTIFACT_TAG_PREFIX + name, uri));
    return tags;
  }

  private String require(String somnusRunId) {
    return find(somnusRunId).orElseThrow(() -> new TrackingException("no tracking run for Somnus run " + somnusRunId
        + " in experiment " + experiment + ": begin(...) it first"));
  }

  /** The run's description: outcome, versions and artifact links, in Markdown. */
  private static String note(RunStart start, RunEnd end, Map<String, String> links) {
    StringBuilder sb = new StringBuilder();
    sb.append("Somnus ").append(start.kind()).append(" `").append(start.somnusRunId()).append("`: **")
        .append(end.outcome().tagValue()).append("**");
    if (start.modelId() != null) sb.append(" (model ").append(start.modelId()).append(')');
    sb.append("\n\n");
    Map<String, String> versions = end.versions().params();
    if (!versions.isEmpty()) {
      sb.append("| version | id |\n|---|---|\n");
      versions.forEach((k, v) -> sb.append("| ").append(k).append(" | `").append(v).append("` |\n"));
      sb.append('\n');
    }
    if (!links.isEmpty()) {
      sb.append("Artifacts, in the Somnus store (not copied into MLflow):\n\n");
      links.forEach((k, v) -> sb.append("- ").append(k).append(": `").append(v).append("`\n"));
    }
    return sb.toString();
  }
}
