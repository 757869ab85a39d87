package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Between Validate and Promote, when facts were taught while the sleep ran: carries the wake's new MEMIT edits (at
 * their scales) onto the approved candidate, checks their facts' raw recall there, writes again any fact the carried
 * edit no longer states, and registers the result. What the wake taught is never dropped by a sleep.
 */
@ActivityInterface
public interface RebaseActivity {
  /**
   * @param baseVersionId the live version the sleep started from
   * @param candidateVersionId the approved candidate, built on {@code baseVersionId}
   * @param liveVersionId live now: {@code baseVersionId} plus wake writes
   * @param round 0 for the first rebase of a sleep, k when live moved again during the k-th
   */
  record Input(String runId, String baseVersionId, String candidateVersionId, String liveVersionId, int round) {}

  /**
   * @param rebasedVersionId the candidate with the wake's edits, to promote over {@code liveVersionId}
   * @param carriedFactIds facts the wake taught while the sleep ran, now in the rebased version
   * @param rewrittenFactIds carried facts the transplanted edit no longer stated, written again on the candidate
   * @param facts every fact of the rebased version with its stage (the report's ledger snapshot)
   */
  record Result(String rebasedVersionId, List<String> carriedFactIds, List<String> rewrittenFactIds, List<FactState> facts) {
    public Result {
      carriedFactIds = List.copyOf(carriedFactIds);
      rewrittenFactIds = List.copyOf(rewrittenFactIds);
      facts = List.copyOf(facts);
    }
  }

  @ActivityMethod(name = "Rebase")
  Result rebase(Input input);
}
