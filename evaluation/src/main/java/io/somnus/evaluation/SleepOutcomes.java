package io.somnus.evaluation;

import java.util.List;
import java.util.Locale;

/**
 * The report's list of sleeps that did not go live at their first attempt: every candidate validation refused (the
 * sleep then trained again at a lower rate) and every sleep that ended kept live or failed, each with the pipeline's
 * reason. A reader of a table of means needs these to tell a weak method from one bad draw.
 */
final class SleepOutcomes {
  private final StringBuilder lines = new StringBuilder();

  /**
   * @param where the sleep, e.g. "seed S wave W"
   * @param status the sleep's final status, reported with {@code reason} when the reason is not blank
   */
  void add(String where, List<String> refusedAttempts, String status, String reason) {
    for (int i = 0; i < refusedAttempts.size(); i++) {
      lines.append(String.format(Locale.ROOT, "- %s attempt %d refused, trained again at a lower rate: %s%n", where, i + 1,
          refusedAttempts.get(i)));
    }
    if (!reason.isBlank()) lines.append(String.format(Locale.ROOT, "- %s %s: %s%n", where, status, reason));
  }

  /** The section, empty when every sleep went live at its first attempt. */
  String section() {
    return lines.isEmpty() ? "" : "\nSleeps not promoted at their first attempt, with the pipeline's reason:\n\n" + lines;
  }
}
