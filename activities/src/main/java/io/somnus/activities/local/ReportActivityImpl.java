package io.somnus.activities.local;

import io.somnus.activities.ReportActivity;
import io.somnus.store.EditRef;
import io.somnus.store.FactLedger;
import io.somnus.store.LedgerSnapshot;
import io.somnus.store.ModelRegistry;
import io.somnus.store.RunOutcome;
import io.somnus.store.RunTracker;
import io.somnus.store.VersionNotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last step of every run, whatever its outcome: the fact ledger's snapshot of the version the run left live (or
 * produced), and the tracked run completed with its outcome, versions, parameters, metrics, step times and artifacts
 * (opened at the run's first step, or now with its true start when that step could not). Recorded once per run id.
 */
final class ReportActivityImpl implements ReportActivity {
  private final FactLedger ledger;
  private final ModelRegistry registry;
  private final RunTracker runs;
  private final StepJournal journal;
  private final Clock clock;

  ReportActivityImpl(FactLedger ledger, ModelRegistry registry, RunTracker runs, StepJournal journal, Clock clock) {
    this.ledger = ledger;
    this.registry = registry;
    this.runs = runs;
    this.journal = journal;
    this.clock = clock;
  }

  @Override
  public Result report(Input in) {
    return journal.once(in.runId(), StepJournal.REPORT, Result.class, () -> {
      Map<String, String> artifacts = new LinkedHashMap<>();
      int rows = 0;
      if (!in.facts().isEmpty()) {
        LedgerSnapshot snapshot = ledger.write(in.runId(), in.modelVersion(),
            FactStates.rows(in.facts(), in.runId(), in.modelVersion(), clock.instant()));
        rows = snapshot.rows();
        artifacts.put(RunTracker.STAGE_TABLE_ARTIFACT, registry.store().uri(snapshot.key()));
      }
      artifacts.putAll(versionArtifacts(in.versions().promoted()));
      Instant now = clock.instant();
      Timing timing = in.timing() != null ? in.timing() : new Timing(now.toEpochMilli(), now.toEpochMilli(), List.of());
      RunTracker.RunStart start = new RunTracker.RunStart(in.runId(), in.kind(), in.modelId(),
          Instant.ofEpochMilli(timing.startedAtMillis()), Map.of(), Map.of());
      Versions v = in.versions();
      RunTracker.RunEnd end = new RunTracker.RunEnd(RunOutcome.of(in.outcome()), Instant.ofEpochMilli(timing.endedAtMillis()),
          new RunTracker.Versions(v.liveBefore(), v.trained(), v.gated(), v.promoted(), v.liveAfter()), in.params(),
          finite(in.metrics()), timing.steps(), artifacts);
      return new Result(runs.end(start, end).runId(), rows);
    });
  }

  /** The promoted version's manifest and its MEMIT edit sets, by URI. */
  private Map<String, String> versionArtifacts(String versionId) {
    Map<String, String> out = new LinkedHashMap<>();
    if (versionId == null) return out;
    try {
      out.put(RunTracker.MODEL_VERSION_ARTIFACT, registry.manifestUri(versionId));
      for (EditRef e : registry.version(versionId).memitEdits()) {
        out.put(RunTracker.memitEditArtifact(e.editId()), registry.store().uri(e.key()));
      }
    } catch (VersionNotFoundException | IllegalArgumentException notOurs) {
      // a scripted or foreign version id: the run is recorded without its links
    }
    return out;
  }

  private static Map<String, Double> finite(Map<String, Double> metrics) {
    Map<String, Double> out = new LinkedHashMap<>();
    metrics.forEach((k, x) -> {
      if (x != null && Double.isFinite(x)) out.put(k, x);
    });
    return out;
  }
}
