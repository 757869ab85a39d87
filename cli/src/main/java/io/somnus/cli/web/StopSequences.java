package io.somnus.cli.web;

import java.util.List;

/**
 * Cuts an answer that arrives in pieces at the first of the request's stop strings, the stop string left out, as
 * OpenAI's {@code stop} does. Text that could still turn out to be the start of a stop string is held back until the
 * next piece says whether it is.
 */
final class StopSequences {
  private final List<String> stops;
  private final StringBuilder pending = new StringBuilder();
  private boolean stopped;

  StopSequences(List<String> stops) {
    this.stops = List.copyOf(stops);
  }

  /** Adds the next piece; returns the text now known to come before any stop string (often all of it). */
  String accept(String piece) {
    if (stopped) return "";
    pending.append(piece);
    int cut = -1;
    for (String s : stops) {
      int at = pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      stopped = true;
      String out = pending.substring(0, cut);
      pending.setLength(0);
      return out;
    }
    int keep = 0;
    for (String s : stops) {
      for (int n = Math.min(s.length() - 1, pending.length()); n > keep; n--) {
        if (s.startsWith(pending.substring(pending.length() - n))) {
          keep = n;
          break;
        }
      }
    }
    String out = pending.substring(0, pending.length() - keep);
    pending.delete(0, pending.length() - keep);
    return out;
  }

  /** True once a stop string appeared: the answer is over. */
  boolean stopped() {
    return stopped;
  }

  /** At the end of the answer: what was held back, since no stop string followed it. */
  String flush() {
    String out = pending.toString();
    pending.setLength(0);
    return out;
  }
}
