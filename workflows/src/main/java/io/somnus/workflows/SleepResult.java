package io.somnus.workflows;

import java.util.List;

/**
 * What a sleep did.
 *
 * @param reasons why it was refused, superseded or failed, and what each refused attempt was refused for; empty when
 *     promoted at the first attempt
 * @param keptScaleEditIds edits the gate left at their scale because a lower one would lose an answer
 */
public record SleepResult(String runId, SleepOutcome outcome, Versions versions, FactCounts facts, Quality quality,
    List<String> reasons, List<String> keptScaleEditIds) {

  /**
   * @param liveBefore live when the sleep began
   * @param liveAfter live when it ended: the promoted version, or {@code liveBefore}
   * @param validated the candidate validation judged (gated), null when none was built
   */
  public record Versions(String liveBefore, String liveAfter, String validated) {}

  /**
   * @param considered facts the sleep trained on
   * @param carried facts taught while it ran, carried onto its candidate before promotion
   */
  public record FactCounts(int considered, int advanced, int retreated, int refreshed, int carried) {}

  /** Chat recall and reference perplexity of the live model before and of the validated candidate. */
  public record Quality(double recallBefore, double recallAfter, double perplexityBefore, double perplexityAfter) {}

  public SleepResult {
    reasons = List.copyOf(reasons);
    keptScaleEditIds = keptScaleEditIds == null ? List.of() : List.copyOf(keptScaleEditIds);
  }

  public boolean promoted() {
    return outcome == SleepOutcome.PROMOTED;
  }
}
