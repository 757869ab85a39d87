package io.somnus.activities.local;

import io.somnus.activities.HealthCheckActivity;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.store.RunTracker;
import java.time.Instant;
import java.util.Map;

/** Step 1: reads the live version once (every later step starts from it) and measures its reference perplexity. */
final class HealthCheckActivityImpl implements HealthCheckActivity {
  private final StepServices steps;

  HealthCheckActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Report healthCheck(Input in) {
    if (in.sleepRequest() != null) steps.journal.recordRequest(in.runId(), in.sleepRequest());
    if (in.run() != null) {
      steps.bestEffort("open the run of " + in.runId(), runs -> runs.begin(new RunTracker.RunStart(in.runId(), in.run().kind(),
          in.modelId(), Instant.ofEpochMilli(in.run().startedAtMillis()), in.run().params(), Map.of())));
    }
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
