package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SyntheticWorld;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Statement patterns for models too small to extract facts themselves (somnus-tiny): a sentence
 * "Name Surname &lt;relation phrase&gt; object." with a capitalised subject and a known relation phrase
 * yields one fact. Corrections and changes read the same way: a leading "Actually," (or "In fact,", "Correction:"),
 * "now" before the relation ("X now lives in Y") and alias phrases ("X moved to Y" for "lives in"). "X no longer
 * &lt;relation&gt; Y" is a retraction of that fact ({@link #retractions}). Questions, other negations ("does not live in")
 * and sentences about pronouns match nothing, which is the safe failure: an unstated fact is never written.
 */
public final class PatternFactExtractor implements FactExtractor {
  /**
   * A proper-noun subject: capitalised words (letters, apostrophes, hyphens), with the lower-case
   * particles of surnames between them ("Jonas de Vries", "Ana da Silva").
   */
  private static final String WORD = "\\p{Lu}[\\p{L}'’-]*";
  private static final String PARTICLE = "(?:de|van|von|der|den|da|di|du|la|le|del|dos|bin|al)";
  private static final String SUBJECT = "(?<subject>" + WORD + "(?:\\s+(?:" + PARTICLE + "\\s+)*" + WORD + ")*)";
  private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+|\\n+");

  /** Words that open a correction ("Actually, Mara Okafor lives in Porto."): the statement follows. */
  private static final Pattern CORRECTION = Pattern.compile("^(?i:actually|in fact|correction|update|sorry)\\s*[,:;]?\\s+");

  private final List<String> phrases;
  private final Map<String, String> aliases;
  private final Pattern statement;

  /** @param relationPhrases canonical relation phrases, e.g. "lives in", "has a pet named" */
  public PatternFactExtractor(List<String> relationPhrases) {
    this(relationPhrases, Map.of());
  }

  /**
   * @param aliases other phrases that state a relation, e.g. "moved to" → "lives in"; each maps to one of
   *     {@code relationPhrases}
   */
  public PatternFactExtractor(List<String> relationPhrases, Map<String, String> aliases) {
    if (relationPhrases.isEmpty()) throw new IllegalArgumentException("no relation phrases");
    // longest first, so "works at" never swallows part of a longer phrase that starts the same way
    phrases = relationPhrases.stream().map(String::strip).distinct().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      if (!phrases.contains(a.getValue())) throw new IllegalArgumentException("alias '" + a.getKey() + "' names an unknown relation '" + a.getValue() + "'");
    }
    this.aliases = Map.copyOf(aliases);
    List<String> all = new ArrayList<>(phrases);
    all.addAll(aliases.keySet());
    all.sort(Comparator.comparingInt(String::length).reversed());
    StringBuilder alt = new StringBuilder();
    for (String p : all) alt.append(alt.length() == 0 ? "" : "|").append(Pattern.quote(p).replace(" ", "\\E\\s+\\Q"));
    statement = Pattern.compile("^" + SUBJECT + "\\s+(?:(?<retract>no\\s+longer)\\s+|now\\s+)?(?<relation>" + alt
        + ")\\s+(?<object>[^.!?]+?)\\s*[.!]?$");
  }

  /** The relations somnus-tiny knows or can be taught. */
  public static PatternFactExtractor forSyntheticWorld() {
    List<String> p = new ArrayList<>();
    for (Relation r : SyntheticWorld.CORPUS_RELATIONS) p.add(r.phrase());
    for (Relation r : SyntheticWorld.TEACHABLE_RELATIONS) p.add(r.phrase());
    return new PatternFactExtractor(p, Map.of("moved to", SyntheticWorld.LIVES_IN.phrase(), "has moved to", SyntheticWorld.LIVES_IN.phrase()));
  }

  public List<String> phrases() {
    return phrases;
  }

  @Override
  public List<Fact> extract(String userText) {
    Set<Fact> out = new LinkedHashSet<>();
    for (String sentence : statements(userText)) {
      Reading r = read(sentence);
      if (r.fact() != null && !r.retracted()) out.add(r.fact());
    }
    return List.copyOf(out);
  }

  @Override
  public List<Fact> retractions(String userText) {
    Set<Fact> out = new LinkedHashSet<>();
    for (String sentence : statements(userText)) {
      Reading r = read(sentence);
      if (r.fact() != null && r.retracted()) out.add(r.fact());
    }
    return List.copyOf(out);
  }

  @Override
  public List<Unused> unused(String userText) {
    List<Unused> out = new ArrayList<>();
    for (String sentence : statements(userText)) {
      Reading r = read(sentence);
      if (r.fact() == null) out.add(new Unused(sentence, r.reason()));
    }
    return out;
  }

  /** One sentence read as a statement: its fact (stated, or said to hold no longer), or why it gives none. */
  private record Reading(Fact fact, boolean retracted, String reason) {
    Reading(String reason) {
      this(null, false, reason);
    }
  }

  private Reading read(String sentence) {
    Matcher m = statement.matcher(CORRECTION.matcher(sentence).replaceFirst(""));
    if (!m.matches()) {
      return new Reading("not a statement Somnus can store: write it as \"<First> <Last> <relation> <object>.\""
          + " with one of the relations " + String.join(", ", phrases));
    }
    String subject = m.group("subject").replaceAll("\\s+", " ");
    if (PRONOUNS.contains(subject.toLowerCase(Locale.ROOT))) {
      return new Reading("it is about \"" + subject + "\": name the person instead");
    }
    String object = m.group("object").replaceAll("\\s+", " ").strip();
    if (object.isEmpty()) return new Reading("nothing follows \"" + m.group("relation") + "\"");
    if (object.length() > Fact.MAX_OBJECT_CHARS) {
      return new Reading("the object is " + object.length() + " characters long; at most " + Fact.MAX_OBJECT_CHARS);
    }
    return new Reading(new Fact(subject, canonical(m.group("relation")), object), m.group("retract") != null, null);
  }

  /** The sentences of {@code userText} that are not questions. */
  private static List<String> statements(String userText) {
    List<String> out = new ArrayList<>();
    if (userText == null) return out;
    for (String raw : SENTENCE_END.split(userText.strip())) {
      String sentence = raw.strip();
      if (!sentence.isEmpty() && !sentence.endsWith("?")) out.add(sentence);
    }
    return out;
  }

  private String canonical(String matched) {
    String norm = matched.replaceAll("\\s+", " ");
    for (String p : phrases) if (p.equals(norm)) return p;
    if (aliases.containsKey(norm)) return aliases.get(norm);
    throw new IllegalStateException("matched relation '" + matched + "' is not a configured phrase");
  }

  /** Capitalised words that are not names. */
  static final Set<String> PRONOUNS = Set.of("i", "he", "she", "it", "they", "we", "you", "this", "that", "there",
      "everyone", "nobody", "someone", "somebody");
}
