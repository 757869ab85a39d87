package io.somnus.workflows;

import java.util.List;

/**
 * What a running sleep is doing, for {@code somnus sleep --wait} and {@code somnus status}.
 *
 * @param step 1-based number of the step running now (or last run when finished)
 * @param completed names of the steps done so far, in order
 */
public record SleepProgress(String runId, String phase, int step, int totalSteps, List<String> completed,
    String detail, boolean finished) {
  public SleepProgress {
    completed = List.copyOf(completed);
  }
}
