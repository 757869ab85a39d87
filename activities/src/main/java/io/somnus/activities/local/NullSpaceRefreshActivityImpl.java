package io.somnus.activities.local;

import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.ScratchEdits;
import io.somnus.store.ModelVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Step 4: the audit's degraded facts are topped up inside the null space of every other fact's keys
 * ({@link MemitEditor#refresh}), on a scratch copy of the version's weights, into a new working version that is not
 * live. The refreshed facts restart at stage 0 under the merged edit. A degraded fact still not recalled afterwards is
 * reported as failed; training goes on either way.
 */
final class NullSpaceRefreshActivityImpl implements NullSpaceRefreshActivity {
  private final StepServices steps;

  NullSpaceRefreshActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result refresh(Input in) {
    return steps.journal.once(in.runId(), "null-space-refresh", Result.class, () -> {
      ModelVersion version = steps.version(in.versionId());
      MemoryState state = steps.states.state(version);
      List<Fact> degraded = new ArrayList<>();
      for (Fact f : StepServices.select(state.stages(), in.degradedFactIds())) {
        if (state.edits().stream().anyMatch(e -> e.facts().contains(f))) degraded.add(f); // only an edit can be topped up
      }
      if (degraded.isEmpty()) return new Result(in.versionId(), List.of(), in.degradedFactIds());
      Heartbeat.beat("refreshing " + degraded.size() + " degraded facts");
      try (ScratchEdits scratch = new ScratchEdits(state, steps.settings.keyStatisticsTexts(), Runtimes.somnusHome().resolve("cache"),
          steps.settings.device())) {
        EditSet set = scratch.set();
        MemitEditor.RefreshResult r = scratch.editor().refresh(set, degraded);
        if (r.rewritten().edit() == null) return new Result(in.versionId(), List.of(), in.degradedFactIds());
        FactStageTable table = state.stages().withEdit(r.rewritten().edit());
        RecallProbe probe = new RecallProbe(scratch.runtime(), steps.settings.recallTokens());
        List<String> refreshed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (String id : in.degradedFactIds()) {
          Fact f = degraded.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
          (f != null && probe.rawRecall(f) ? refreshed : failed).add(id);
        }
        String working = steps.states.derive(version, null, version.loraHistory(), set.edits(), table, in.runId(),
            Map.of("facts_refreshed", (double) refreshed.size()));
        return new Result(working, refreshed, failed);
      }
    });
  }
}
