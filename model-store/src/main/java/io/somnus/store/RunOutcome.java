package io.somnus.store;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How a Somnus run ended, and the MLflow run status it is recorded with. The status answers MLflow's own question
 * (did the run complete, fail, or get stopped?); the outcome, in the tag {@value RunTracker#OUTCOME_TAG}, answers
 * Somnus's (what happened to the model?).
 *
 * <ul>
 *   <li>FINISHED: the run did its job, whatever it decided. A candidate refused by validation ({@link #KEPT_LIVE}) is
 *       the gate working, not a failure: marking it FAILED would put it among crashed runs and alerts, and KILLED
 *       would say someone stopped it.
 *   <li>KILLED: stopped from outside before it could finish its job: {@link #SUPERSEDED} (live moved under it, another
 *       writer won the compare-and-set, its result was discarded) and {@link #CANCELLED}.
 *   <li>FAILED: an error ended it ({@link #FAILED}).
 * </ul>
 */
public enum RunOutcome {
  /** A sleep's gated version went live. */
  PROMOTED("promoted", RunStatus.FINISHED),
  /** Validation refused every candidate; live is unchanged. */
  KEPT_LIVE("kept-live", RunStatus.FINISHED),
  /** Nothing to consolidate. */
  SKIPPED("skipped", RunStatus.FINISHED),
  /** A nap measured the live model. */
  AUDITED("audited", RunStatus.FINISHED),
  /** A rollback moved live back. */
  ROLLED_BACK("rolled-back", RunStatus.FINISHED),
  /** A wake write made a new version live. */
  TAUGHT("taught", RunStatus.FINISHED),
  /** A base checkpoint became the first live version. */
  IMPORTED("imported", RunStatus.FINISHED),
  /** A wake write had nothing new to write (every fact known or refused). */
  NOTHING_NEW("nothing-new", RunStatus.FINISHED),
  /** Live moved during the run (another sleep or teach promoted first); its result did not go live. */
  SUPERSEDED("superseded", RunStatus.KILLED),
  /** Cancelled or terminated (e.g. the Temporal workflow was cancelled). */
  CANCELLED("cancelled", RunStatus.KILLED),
  /** An error ended the run. */
  FAILED("failed", RunStatus.FAILED);

  private final String tagValue;
  private final RunStatus status;

  RunOutcome(String tagValue, RunStatus status) {
    this.tagValue = tagValue;
    this.status = status;
  }

  /** The value of the outcome tag, e.g. {@code kept-live} (the workflows' outcome strings). */
  public String tagValue() {
    return tagValue;
  }

  /** The MLflow run status this outcome ends a run with. */
  public RunStatus status() {
    return status;
  }

  /** The outcome named {@code tagValue} ({@code promoted}, {@code kept-live}, ...). */
  public static RunOutcome of(String tagValue) {
    for (RunOutcome o : values()) {
      if (o.tagValue.equals(tagValue)) return o;
    }
    throw new IllegalArgumentException("unknown run outcome '" + tagValue + "'; known: "
        + Arrays.stream(values()).map(RunOutcome::tagValue).collect(Collectors.joining(", ")));
  }
}
