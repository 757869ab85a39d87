package io.somnus.activities;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Step 8: move the live alias to the approved version, only if live is still what the sleep started from. When live
 * moved meanwhile, says how: by wake edits only (the sleep can carry them onto its candidate: {@link RebaseActivity})
 * or by another promotion or a rollback (the sleep is superseded). Nothing is moved then.
 */
@ActivityInterface
public interface PromoteActivity {
  record Input(String runId, String versionId, String expectedLiveVersionId) {}

  enum Status {
    /** The alias moved to the version. */
    PROMOTED,
    /** A retry found its own promote already done. */
    ALREADY_LIVE,
    /** Live moved since the sleep began, only by wake writes on top of the version it began from. */
    LIVE_MOVED_BY_WAKE,
    /** Live moved by another promotion or a rollback: this sleep's candidate is no longer built on what serves. */
    SUPERSEDED
  }

  /**
   * @param liveVersionId live after the step (the version now serving, whoever put it there)
   * @param reason how live moved, for {@link Status#LIVE_MOVED_BY_WAKE} and {@link Status#SUPERSEDED}
   */
  @JsonIgnoreProperties(ignoreUnknown = true) // "alreadyLive" in histories recorded before the status existed
  record Result(Status status, String liveVersionId, String previousVersionId, String reason) {
    public Result {
      if (status == null) status = Status.PROMOTED; // recorded before the status existed: a promote that returned had promoted
    }

    public boolean promoted() {
      return status == Status.PROMOTED || status == Status.ALREADY_LIVE;
    }
  }

  @ActivityMethod(name = "Promote")
  Result promote(Input input);
}
