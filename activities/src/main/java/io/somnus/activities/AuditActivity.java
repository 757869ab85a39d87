package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** Step 3 (and the whole of a nap): probe facts on a version without changing any weights. */
@ActivityInterface
public interface AuditActivity {
  /**
   * @param factIds facts to probe; empty means all facts of the version
   * @param recallThreshold a fact whose raw recall is below this is degraded
   */
  record Input(String runId, String versionId, List<String> factIds, double recallThreshold) {
    public Input {
      factIds = List.copyOf(factIds);
    }
  }

  record Report(int audited, int healthy, List<String> degradedFactIds, double meanRawRecall, List<FactState> facts) {
    public Report {
      degradedFactIds = List.copyOf(degradedFactIds);
      facts = List.copyOf(facts);
    }

    public boolean degraded() {
      return !degradedFactIds.isEmpty();
    }
  }

  @ActivityMethod(name = "Audit")
  Report audit(Input input);
}
