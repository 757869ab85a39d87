package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.CurateActivity;
import io.somnus.engine.sleep.FactStageTable;
import java.util.ArrayList;
import java.util.List;

/** Step 2: the facts this sleep consolidates, oldest first, at most the request's cap. */
final class CurateActivityImpl implements CurateActivity {
  private final StepServices steps;

  CurateActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result curate(Input in) {
    if (in.maxFacts() < 1) throw new BadStepInputException("maxFacts must be ≥ 1");
    return steps.journal.once(in.runId(), "curate", Result.class, () -> {
      FactStageTable table = steps.states.stages(steps.version(in.liveVersionId()).id());
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
