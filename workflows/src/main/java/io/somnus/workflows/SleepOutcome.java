package io.somnus.workflows;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a sleep ended. The wire names are those results and tracking tags have always carried. */
public enum SleepOutcome {
  /** A validated candidate went live. */
  PROMOTED("promoted"),
  /** Every candidate was refused by validation; live stayed. */
  KEPT_LIVE("kept-live"),
  /** Nothing to consolidate. */
  SKIPPED("skipped"),
  /** Live moved by another promotion or a rollback while the sleep ran; its candidate was not promoted. */
  SUPERSEDED("superseded"),
  /** A step failed for good; live stayed. */
  FAILED("failed");

  private final String wireName;

  SleepOutcome(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  @JsonCreator
  public static SleepOutcome of(String wireName) {
    for (SleepOutcome o : values()) if (o.wireName.equals(wireName) || o.name().equals(wireName)) return o;
    throw new IllegalArgumentException("unknown sleep outcome '" + wireName + "'");
  }

  @Override
  public String toString() {
    return wireName;
  }
}
