package io.somnus.activities.local;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.FactState;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import java.util.ArrayList;
import java.util.List;

/**
 * Step 3: probes the version's facts. A fresh fact must complete raw; a consolidating one may be held by either
 * pathway. The measurement is journaled: validation compares the candidate with it.
 */
final class AuditActivityImpl implements AuditActivity {
  static final String MEASUREMENT = "audit-measurement";

  private final StepServices steps;

  AuditActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Report audit(Input in) {
    return steps.journal.once(in.runId(), "audit", Report.class, () -> {
      MemoryState state = steps.states.state(steps.version(in.versionId()));
      List<Fact> facts = in.factIds().isEmpty() ? state.stages().facts() : StepServices.select(state.stages(), in.factIds());
      Heartbeat.beat("loading " + in.versionId());
      Measurement m;
      try (ComposedModel model = state.load(steps.settings.device())) {
        m = steps.validator.measure(model.runtime(), facts, Heartbeat.of());
      }
      steps.journal.record(in.runId(), MEASUREMENT, m);
      List<String> degraded = new ArrayList<>();
      for (FactStageTable.Entry e : state.stages().entries()) {
        String id = e.fact().id();
        if (!m.raw().containsKey(id)) continue;
        boolean raw = m.raw().get(id);
        boolean chat = Boolean.TRUE.equals(m.chat().get(id));
        boolean healthy = e.stage().level() == 0 ? raw : raw || chat;
        if (!healthy) degraded.add(id);
      }
      List<FactState> states = FactStates.of(state.stages(), m.raw(), m.chat());
      return new Report(facts.size(), facts.size() - degraded.size(), degraded, m.rawRecall(), states);
    });
  }
}
