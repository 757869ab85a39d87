package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** Step 2: choose the facts this sleep will try to consolidate. */
@ActivityInterface
public interface CurateActivity {
  /** @param maxFacts cap on facts per sleep (training cost grows with it) */
  record Input(String runId, String liveVersionId, int maxFacts) {}

  /** @param factIds facts to consolidate, oldest first; empty means there is nothing to do */
  record Result(List<String> factIds, int total, int consolidated) {
    public Result {
      factIds = List.copyOf(factIds);
    }
  }

  @ActivityMethod(name = "Curate")
  Result curate(Input input);
}
