package io.somnus.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One fact's state as recorded by one run: a row of the fact ledger.
 *
 * @param factId {@code Fact.id()} of the triple
 * @param sourceTurn conversation turn the fact came from (e.g. {@code session-3/turn-12}); null if unknown
 * @param editId MEMIT edit holding the fact; null once consolidated or never edited
 * @param stage 0..3 ({@code FactStage.level()})
 * @param memitScale scale of the fact's edit in this run's model version
 * @param rawRecall raw-completion recall in [0,1]; null if not measured by this run
 * @param chatRecall chat-question recall in [0,1]; null if not measured by this run
 * @param modelVersion version the run produced or evaluated; null if the run produced none
 * @param retired why this run took the fact out of memory ({@link #SUPERSEDED}, {@link #FORGOTTEN}, {@link #RETRACTED});
 *     null while the model holds it. A retired row is recorded once, by the run that retired the fact, and is no part of
 *     the version's fact table
 * @param supersedes on the row of a fact that replaced another (an update's new value, or the base model's answer written
 *     in place of a forgotten or retracted fact): the id of the fact it replaced; else null
 * @param supersededBy on a retired row: the id of the fact written in its place, if any (always, for {@link #SUPERSEDED});
 *     else null
 */
public record FactRow(String factId, String subject, String relation, String object, String sourceTurn,
    String editId, int stage, float memitScale, Double rawRecall, Double chatRecall, String runId,
    String modelVersion, Instant time, String retired, String supersedes, String supersededBy) {

  /** An update replaced the fact with a new value for the same subject and relation. */
  public static final String SUPERSEDED = "superseded";
  /** {@code somnus forget} removed it. */
  public static final String FORGOTTEN = "forgotten";
  /** The user said it no longer holds ("X no longer lives in Y"). */
  public static final String RETRACTED = "retracted";

  /** A row of a fact the model holds, unrelated to any update. */
  public FactRow(String factId, String subject, String relation, String object, String sourceTurn, String editId, int stage,
      float memitScale, Double rawRecall, Double chatRecall, String runId, String modelVersion, Instant time) {
    this(factId, subject, relation, object, sourceTurn, editId, stage, memitScale, rawRecall, chatRecall, runId, modelVersion,
        time, null, null, null);
  }

  public FactRow {
    Objects.requireNonNull(factId, "factId");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(relation, "relation");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(time, "time");
    if (stage < 0 || stage > 3) throw new IllegalArgumentException("fact " + factId + ": stage must be 0..3, got " + stage);
    if (!Float.isFinite(memitScale) || memitScale < 0) throw new IllegalArgumentException("fact " + factId + ": bad MEMIT scale " + memitScale);
    if (retired != null && !java.util.Set.of(SUPERSEDED, FORGOTTEN, RETRACTED).contains(retired)) {
      throw new IllegalArgumentException("fact " + factId + ": retired must be superseded, forgotten or retracted, got " + retired);
    }
    if (supersededBy != null && retired == null) {
      throw new IllegalArgumentException("fact " + factId + ": only a retired row names the fact written in its place");
    }
    if (SUPERSEDED.equals(retired) && supersededBy == null) {
      throw new IllegalArgumentException("fact " + factId + ": a superseded row names the fact that superseded it");
    }
    checkRecall(factId, "raw", rawRecall);
    checkRecall(factId, "chat", chatRecall);
  }

  /** True while the model holds the fact: the row belongs to its version's fact table. */
  public boolean held() {
    return retired == null;
  }

  private static void checkRecall(String id, String kind, Double r) {
    if (r != null && !(r >= 0 && r <= 1)) throw new IllegalArgumentException("fact " + id + ": " + kind + " recall must be in [0,1], got " + r);
  }
}
