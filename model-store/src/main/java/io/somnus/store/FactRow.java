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
 */
public record FactRow(String factId, String subject, String relation, String object, String sourceTurn,
    String editId, int stage, float memitScale, Double rawRecall, Double chatRecall, String runId,
    String modelVersion, Instant time) {

  public FactRow {
    Objects.requireNonNull(factId, "factId");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(relation, "relation");
    Objects.requireNonNull(object, "object");
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(time, "time");
    if (stage < 0 || stage > 3) throw new IllegalArgumentException("fact " + factId + ": stage must be 0..3, got " + stage);
    if (!Float.isFinite(memitScale) || memitScale < 0) throw new IllegalArgumentException("fact " + factId + ": bad MEMIT scale " + memitScale);
    checkRecall(factId, "raw", rawRecall);
    checkRecall(factId, "chat", chatRecall);
  }

  private static void checkRecall(String id, String kind, Double r) {
    if (r != null && !(r >= 0 && r <= 1)) throw new IllegalArgumentException("fact " + id + ": " + kind + " recall must be in [0,1], got " + r);
  }
}
