package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Admits a candidate fact only if it is grounded in the user's own words: its subject and object
 * occur in the message as whole words, its subject is a name rather than a pronoun, the relation is
 * one this deployment writes, and the message does not negate or question it. A model-based
 * extractor can invent or embellish; what it invents is rejected here, before any weight changes.
 */
public final class GroundingFirewall {
  /** One decision. */
  public record Verdict(Fact fact, boolean admitted, String reason) {}

  /** Facts admitted and rejected for one message. */
  public record Intake(List<Fact> admitted, List<Verdict> rejected) {
    public Intake {
      admitted = List.copyOf(admitted);
      rejected = List.copyOf(rejected);
    }
  }

  private static final Set<String> NEGATIONS = Set.of("not", "never", "no longer", "doesn't", "does not", "isn't", "didn't");

  private final Set<String> relations;

  /** @param relations relation phrases facts may use (others are rejected) */
  public GroundingFirewall(Set<String> relations) {
    this.relations = Set.copyOf(relations);
  }

  public Intake screen(List<Fact> candidates, String userText) {
    List<Fact> admitted = new ArrayList<>();
    List<Verdict> rejected = new ArrayList<>();
    for (Fact f : candidates) {
      Verdict v = check(f, userText);
      if (v.admitted()) admitted.add(f);
      else rejected.add(v);
    }
    return new Intake(admitted, rejected);
  }

  /**
   * Screens candidate retractions ("X no longer lives in Y"): grounded like a stated fact, except that the negation is
   * the point; the sentence must say "no longer".
   */
  public Intake screenRetractions(List<Fact> candidates, String userText) {
    List<Fact> admitted = new ArrayList<>();
    List<Verdict> rejected = new ArrayList<>();
    for (Fact f : candidates) {
      Verdict v = check(f, userText, true);
      if (v.admitted()) admitted.add(f);
      else rejected.add(v);
    }
    return new Intake(admitted, rejected);
  }

  public Verdict check(Fact f, String userText) {
    return check(f, userText, false);
  }

  private Verdict check(Fact f, String userText, boolean retraction) {
    String text = normalise(userText);
    if (!relations.contains(f.relation())) return reject(f, "relation '" + f.relation() + "' is not one this model learns");
    if (PatternFactExtractor.PRONOUNS.contains(f.subject().toLowerCase(Locale.ROOT))) {
      return reject(f, "subject '" + f.subject() + "' is a pronoun, not a name");
    }
    if (!containsWords(text, normalise(f.subject()))) return reject(f, "subject '" + f.subject() + "' is not in the message");
    if (!containsWords(text, normalise(f.object()))) return reject(f, "object '" + f.object() + "' is not in the message");
    String sentence = sentenceWith(text, normalise(f.subject()), normalise(f.object()));
    if (sentence == null) return reject(f, "subject and object are not stated in the same sentence");
    if (sentence.strip().endsWith("?")) return reject(f, "the message asks about it rather than stating it");
    if (retraction) {
      if (!containsWords(sentence, "no longer")) return reject(f, "the message does not say it no longer holds");
      return new Verdict(f, true, "grounded retraction");
    }
    for (String n : NEGATIONS) {
      if (containsWords(sentence, n)) return reject(f, "the message negates it ('" + n + "')");
    }
    return new Verdict(f, true, "grounded");
  }

  private static Verdict reject(Fact f, String why) {
    return new Verdict(f, false, why);
  }

  /** Lower case, canonical Unicode, typographic apostrophes folded, whitespace collapsed. */
  static String normalise(String s) {
    return Normalizer.normalize(s, Normalizer.Form.NFKC).replace('’', '\'').toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
  }

  private static boolean containsWords(String text, String words) {
    int from = 0;
    while (true) {
      int i = text.indexOf(words, from);
      if (i < 0) return false;
      int end = i + words.length();
      boolean startOk = i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1));
      boolean endOk = end == text.length() || !Character.isLetterOrDigit(text.charAt(end));
      if (startOk && endOk) return true;
      from = i + 1;
    }
  }

  /** The first sentence holding both, with its end punctuation; null if none does. */
  private static String sentenceWith(String text, String subject, String object) {
    for (String s : text.split("(?<=[.!?])\\s+|\\n+")) {
      if (containsWords(s, subject) && containsWords(s, object)) return s;
    }
    return null;
  }
}
