package io.somnus.store;

import java.time.Instant;

/**
 * The alias table, one small document moved as a whole by compare-and-set so that {@code live} and
 * {@code previous} can never disagree. {@code generation} increases by one with every move.
 */
public record Aliases(long generation, String live, String previous, Instant updatedAt, String updatedByRun) {
  static Aliases empty() {
    return new Aliases(0, null, null, null, null);
  }
}
