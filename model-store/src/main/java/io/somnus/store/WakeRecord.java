package io.somnus.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one wake write (a {@code teach}, or facts taken from a chat turn) did, for {@link RunTracker#recordWake}.
 *
 * @param source {@code teach}, or where a chat write came from (e.g. {@code chat:conversation-7/turn-3})
 * @param outcome {@link RunOutcome#TAUGHT}, {@link RunOutcome#NOTHING_NEW}, {@link RunOutcome#SUPERSEDED} (live moved
 *     while writing) or {@link RunOutcome#FAILED}
 * @param liveAfter the version live after the write: the new one when taught, else {@code liveBefore}
 * @param editId the MEMIT edit written, null when none
 * @param facts facts written and facts repaired (written again because the new edit displaced them)
 * @param skipped sentence → why it was not written (e.g. "already in memory")
 * @param steps timings inside the write (e.g. {@code memit}, {@code recall_probe}), may be empty
 * @param artifacts name → URI, e.g. {@code memit_edit.<id> → s3://…} ({@link RunTracker#memitEditArtifact}) and
 *     {@code stage_table → s3://…} (the ledger snapshot)
 */
public record WakeRecord(String somnusRunId, String modelId, String source, Instant startedAt, Instant endedAt,
    RunOutcome outcome, String liveBefore, String liveAfter, String editId, List<WrittenFact> facts,
    Map<String, String> skipped, List<StepTiming> steps, Map<String, String> artifacts) {

  /**
   * @param recalledRightAfter raw recall on the new version right after the write; null when not probed
   */
  public record WrittenFact(String factId, String sentence, boolean repaired, Boolean recalledRightAfter) {
    public WrittenFact {
      Tracking.checkKey("fact id", factId);
      Objects.requireNonNull(sentence, "sentence");
    }
  }

  public WakeRecord {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(outcome, "outcome");
    facts = facts == null ? List.of() : List.copyOf(facts);
    skipped = skipped == null ? Map.of() : Map.copyOf(skipped);
    steps = steps == null ? List.of() : List.copyOf(steps);
    artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
  }
}
