package io.somnus.store;

/**
 * How one fact differs between two fact tables.
 *
 * @param before row in the first table, null if the fact was {@link Kind#ADDED}
 * @param after row in the second table, null if the fact was {@link Kind#REMOVED}
 */
public record FactChange(String factId, Kind kind, FactRow before, FactRow after) {
  public enum Kind { ADDED, REMOVED, CHANGED }
}
