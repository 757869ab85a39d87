package io.somnus.cli.wake;

import io.somnus.engine.model.TextTokenizer;
import java.util.Arrays;

/**
 * Turns an answer's tokens into text as they arrive, in pieces that join to exactly {@code decode(all).strip()}:
 * what a streamed answer shows is what the same answer unstreamed would have been.
 *
 * <p>Each step decodes every token so far (a token can be part of a character, and a tokenizer may join pieces
 * differently than it splits them) and hands out only text that can no longer change: nothing while the text ends in
 * an unfinished character, no leading whitespace, and trailing whitespace only once more text follows it.
 */
final class AnswerDecoder {
  private static final char INCOMPLETE = '\uFFFD';

  private final TextTokenizer tokenizer;
  private long[] ids = new long[32];
  private int count;
  private String emitted = "";

  AnswerDecoder(TextTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds one token; returns the text it settled (often empty). */
  String add(long id) {
    if (count == ids.length) ids = Arrays.copyOf(ids, 2 * count);
    ids[count++] = id;
    String text = tokenizer.decode(Arrays.copyOf(ids, count)).stripLeading();
    if (!text.isEmpty() && text.charAt(text.length() - 1) == INCOMPLETE) return "";
    return settle(text.stripTrailing());
  }

  /** The text still held back once the answer is over (its last whole characters, never trailing whitespace). */
  String finish() {
    return settle(tokenizer.decode(Arrays.copyOf(ids, count)).strip());
  }

  private String settle(String text) {
    // a decode that rewrote what was already handed out cannot be taken back: wait until it agrees again
    if (!text.startsWith(emitted) || text.length() == emitted.length()) return "";
    String piece = text.substring(emitted.length());
    emitted = text;
    return piece;
  }
}
