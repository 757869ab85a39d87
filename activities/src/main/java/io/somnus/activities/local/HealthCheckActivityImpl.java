package io.somnus.activities.local;

import io.somnus.activities.HealthCheckActivity;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.MemoryState;

/** Step 1: reads the live version once (every later step starts from it) and measures its reference perplexity. */
final class HealthCheckActivityImpl implements HealthCheckActivity {
  private final StepServices steps;

  HealthCheckActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Report healthCheck(Input in) {
    if (in.sleepRequest() != null) steps.journal.recordRequest(in.runId(), in.sleepRequest());
    return steps.journal.once(in.runId(), "health-check", Report.class, () -> {
      String live = steps.registry().live().id();
      MemoryState state = steps.states.state(live);
      Heartbeat.beat("loading " + live);
      try (ComposedModel model = state.load(steps.settings.device())) {
        int unconsolidated = (int) state.stages().entries().stream().filter(e -> e.stage().level() < 3).count();
        return new Report(live, state.stages().size(), unconsolidated, steps.validator.referencePerplexity(model.runtime()));
      }
    });
  }
}
