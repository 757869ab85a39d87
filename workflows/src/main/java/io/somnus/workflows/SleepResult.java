package io.somnus.workflows;

import java.util.List;

/**
 * How a sleep ended.
 *
 * @param outcome {@link #PROMOTED}, {@link #KEPT_LIVE} or {@link #SKIPPED}
 * @param liveBefore live version when the sleep started
 * @param liveAfter live version when it ended (equal to liveBefore unless promoted)
 * @param candidateVersionId the gated candidate, null when consolidation was skipped
 * @param reasons why the candidate was rejected or the sleep skipped
 */
public record SleepResult(String runId, String outcome, String liveBefore, String liveAfter,
    String candidateVersionId, int factsConsidered, int advanced, int retreated, int refreshed,
    double recallBefore, double recallAfter, double perplexityBefore, double perplexityAfter,
    List<String> reasons, List<String> keptScaleEditIds) {
  public static final String PROMOTED = "promoted";
  public static final String KEPT_LIVE = "kept-live";
  public static final String SKIPPED = "skipped";

  public SleepResult {
    reasons = List.copyOf(reasons);
    keptScaleEditIds = keptScaleEditIds == null ? List.of() : List.copyOf(keptScaleEditIds);
  }
}
