package io.somnus.activities;

/**
 * One fact as a sleep sees it: the triple, where it sits (edit, stage, scale) and its last measured
 * recall. Mirrors a fact-ledger row without the bookkeeping columns.
 *
 * @param editId MEMIT edit holding the fact; null once its edit is dissolved
 * @param rawRecall null when this run did not measure it
 */
public record FactState(String factId, String subject, String relation, String object, String editId,
    int stage, float memitScale, Double rawRecall, Double chatRecall) {
  public FactState {
    if (factId == null || factId.isBlank()) throw new IllegalArgumentException("fact id is empty");
    if (stage < 0 || stage > 3) throw new IllegalArgumentException("fact " + factId + ": stage must be 0..3, got " + stage);
  }

  public boolean consolidated() {
    return stage >= 3;
  }

  public FactState withRecall(Double raw, Double chat) {
    return new FactState(factId, subject, relation, object, editId, stage, memitScale, raw, chat);
  }

  public FactState withStage(int newStage, float newScale) {
    return new FactState(factId, subject, relation, object, editId, newStage, newScale, rawRecall, chatRecall);
  }
}
