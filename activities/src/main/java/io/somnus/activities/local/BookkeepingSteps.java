package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.CurateActivity;
import io.somnus.activities.PromoteActivity;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.RollbackActivity;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.store.Aliases;
import io.somnus.store.FactLedger;
import io.somnus.store.Lineage;
import io.somnus.store.MetricPoint;
import io.somnus.store.ModelRegistry;
import io.somnus.store.RunStatus;
import io.somnus.store.Tracking;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The light steps: registry aliases, fact ledger and tracking; no model is loaded. */
final class BookkeepingSteps {
  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final Tracking tracking;
  private final String experiment;
  private final VersionStates states;
  private final StepJournal journal;
  private final Clock clock;

  BookkeepingSteps(ModelRegistry registry, FactLedger ledger, Tracking tracking, String experiment, VersionStates states,
      StepJournal journal, Clock clock) {
    this.registry = registry;
    this.ledger = ledger;
    this.tracking = tracking;
    this.experiment = experiment;
    this.states = states;
    this.journal = journal;
    this.clock = clock;
  }

  final class Curate implements CurateActivity {
    @Override
    public Result curate(Input in) {
      if (in.maxFacts() < 1) throw new BadStepInputException("maxFacts must be ≥ 1");
      return journal.once(in.runId(), "curate", Result.class, () -> {
        FactStageTable table = states.stages(in.liveVersionId());
        List<String> ids = new ArrayList<>();
        int consolidated = 0;
        for (FactStageTable.Entry e : table.entries()) {
          if (e.stage().level() >= 3) consolidated++;
          else if (ids.size() < in.maxFacts()) ids.add(e.fact().id());
        }
        return new Result(ids, table.size(), consolidated);
      });
    }
  }

  final class Promote implements PromoteActivity {
    @Override
    public Result promote(Input in) {
      states.version(in.versionId());
      Aliases a = registry.aliases();
      if (in.versionId().equals(a.live())) return new Result(a.live(), a.previous(), true);
      if (!a.live().equals(in.expectedLiveVersionId())) {
        throw new BadStepInputException("live moved from " + in.expectedLiveVersionId() + " to " + a.live()
            + " during the sleep; not promoting " + in.versionId());
      }
      Aliases after = registry.promote(in.versionId(), in.runId(), a.generation());
      return new Result(after.live(), after.previous(), false);
    }
  }

  final class Rollback implements RollbackActivity {
    @Override
    public Result rollback(Input in) {
      return journal.once(in.runId(), "rollback", Result.class, () -> {
        Aliases a = registry.aliases();
        if (in.targetVersionId() == null) {
          if (a.previous() == null) throw new BadStepInputException("there is no previous version to roll back to");
          Aliases after = registry.rollback(in.runId(), a.generation());
          return new Result(a.live(), after.live());
        }
        states.version(in.targetVersionId());
        Aliases after = registry.promote(in.targetVersionId(), in.runId(), a.generation());
        return new Result(a.live(), after.live());
      });
    }
  }

  final class Report implements ReportActivity {
    @Override
    public Result report(Input in) {
      return journal.once(in.runId(), "report", Result.class, () -> {
        int rows = 0;
        if (!in.facts().isEmpty()) {
          rows = ledger.write(in.runId(), in.modelVersion(), VersionStates.rows(in.facts(), in.runId(), in.modelVersion(), clock.instant())).rows();
        }
        String trackingRun = tracking.searchRuns(experiment, Map.of(Lineage.RUN_ID_TAG, in.runId())).stream()
            .findFirst().map(r -> r.runId()).orElse(null);
        if (trackingRun == null) {
          Map<String, String> tags = new LinkedHashMap<>();
          tags.put(Lineage.RUN_ID_TAG, in.runId());
          if (in.modelVersion() != null) tags.put(Lineage.MODEL_VERSION_TAG, in.modelVersion());
          tags.put("somnus.kind", in.kind());
          tags.put("somnus.outcome", in.outcome());
          tags.put("somnus.model_id", in.modelId());
          trackingRun = tracking.startRun(experiment, in.runId(), tags);
          tracking.logParams(trackingRun, in.params());
          long now = clock.millis();
          List<MetricPoint> points = new ArrayList<>();
          in.metrics().forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) points.add(new MetricPoint(k, v, 0, now));
          });
          if (!points.isEmpty()) tracking.logMetrics(trackingRun, points);
          tracking.endRun(trackingRun, RunStatus.FINISHED);
        }
        return new Result(trackingRun, rows);
      });
    }
  }
}
