package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.Relation;
import io.somnus.engine.tiny.SyntheticWorld;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides what a stated fact does to memory, against the live fact table and the model's own answer (mem0's ADD /
 * UPDATE / DELETE / NOOP): {@link Change#NEW}, {@link Change#UPDATE} (a single-valued relation of the same subject
 * holds another object, in the table or in the model's confident answer), {@link Change#DUPLICATE} (held already, or
 * the model already says it: nothing is written) or {@link Change#RETRACT} ("no longer": the held fact is removed).
 * A relation that is not single-valued takes one more object instead of replacing it.
 */
public final class FactClassifier {
  /** What a fact does to memory. */
  public enum Change { NEW, UPDATE, DUPLICATE, RETRACT }

  /**
   * One fact and what it does.
   *
   * @param replaces the value it takes out of memory: for an UPDATE, the held fact or the model's own answer; for a
   *     RETRACT, the held fact; else null
   * @param replacesHeld true when {@code replaces} is a fact of the table (a MEMIT edit or consolidated weights hold it),
   *     false when it is only what the model said
   * @param note why, in words, e.g. {@code the model said "Lisbon"}
   */
  public record Classified(Fact fact, Change change, Fact replaces, boolean replacesHeld, String note) {
    public String describe() {
      return change + "  " + fact.sentence() + (note == null ? "" : "  (" + note + ")");
    }
  }

  /** The classified facts and the retractions that cannot be carried out, with the reason. */
  public record Plan(List<Classified> classified, Map<Fact, String> refused) {
    public Plan {
      classified = List.copyOf(classified);
      refused = Map.copyOf(refused);
    }
  }

  /**
   * Probability of its greedy raw answer from which the model is taken to know a value it was never taught. On
   * somnus-tiny the known facts of single-valued relations are answered well above it and the guesses about people it
   * never saw well below (evaluation/fact-updates.md).
   */
  public static final double DEFAULT_CONFIDENCE = 0.7;

  private final Set<String> singleValued;
  private final double confidence;

  /**
   * @param singleValued relation phrases whose subject holds one object at a time
   * @param confidence probability of the model's own raw answer from which an UPDATE overwrites it (below it the answer
   *     is a guess, and the fact is NEW)
   */
  public FactClassifier(Set<String> singleValued, double confidence) {
    if (!(confidence > 0 && confidence <= 1)) throw new IllegalArgumentException("confidence must be in (0,1], got " + confidence);
    this.singleValued = Set.copyOf(singleValued);
    this.confidence = confidence;
  }

  /** somnus-tiny's relations: single-valued as its world declares them ({@link Relation#singleValued}). */
  public static FactClassifier forSyntheticWorld() {
    return new FactClassifier(worldSingleValued(), DEFAULT_CONFIDENCE);
  }

  /** The synthetic world's single-valued relation phrases. */
  public static Set<String> worldSingleValued() {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Relation r : SyntheticWorld.CORPUS_RELATIONS) if (r.singleValued()) out.add(r.phrase());
    for (Relation r : SyntheticWorld.TEACHABLE_RELATIONS) if (r.singleValued()) out.add(r.phrase());
    return out;
  }

  public Set<String> singleValued() {
    return singleValued;
  }

  /**
   * @param stated facts the user stated, in order
   * @param retracted facts the user said no longer hold
   * @param table the live fact table
   * @param model the live model, for its own answers
   */
  public Plan classify(List<Fact> stated, List<Fact> retracted, FactStageTable table, ModelRuntime model) {
    RecallProbe probe = new RecallProbe(model, 12);
    List<Classified> out = new ArrayList<>();
    Map<Fact, String> refused = new LinkedHashMap<>();
    for (Fact f : stated) out.add(classify(f, table, probe));
    for (Fact f : retracted) {
      var held = table.entry(f);
      if (held.isPresent()) {
        out.add(new Classified(f, Change.RETRACT, f, true, "held at stage " + held.get().stage().level()));
      } else if (rawAnswer(probe, f).filter(a -> startsWith(a, f.object())).map(a -> probability(probe, f, a) >= confidence).orElse(false)) {
        refused.put(f, "the base model's own weights say it and it was never taught here: Somnus takes out what it was taught;"
            + " state the value that holds now instead (\"" + f.subject() + " now " + f.relation() + " ...\")");
      } else {
        refused.put(f, "nothing to retract: memory does not hold it");
      }
    }
    return new Plan(out, refused);
  }

  private Classified classify(Fact f, FactStageTable table, RecallProbe probe) {
    var held = table.entry(f);
    if (held.isPresent()) {
      return new Classified(f, Change.DUPLICATE, null, false, "already in memory at stage " + held.get().stage().level());
    }
    boolean single = singleValued.contains(f.relation());
    List<FactStageTable.Entry> same = table.entries().stream()
        .filter(e -> e.fact().subject().equals(f.subject()) && e.fact().relation().equals(f.relation())).toList();
    if (single && !same.isEmpty()) {
      Fact old = same.get(same.size() - 1).fact();
      String where = same.get(same.size() - 1).stage() == FactStage.CONSOLIDATED ? "consolidated" : "held";
      return new Classified(f, Change.UPDATE, old, true, "replaces \"" + old.object() + "\", " + where + " at stage "
          + same.get(same.size() - 1).stage().level());
    }
    var said = rawAnswer(probe, f);
    double p = said.map(a -> probability(probe, f, a)).orElse(0.0);
    // A guess that happens to match is written all the same: only what the model knows needs no edit.
    if (said.isPresent() && startsWith(said.get(), f.object()) && p >= confidence) {
      return new Classified(f, Change.DUPLICATE, null, false, String.format(Locale.ROOT, "the model already says so (p=%.2f)", p));
    }
    if (!single) {
      return new Classified(f, Change.NEW, null, false, same.isEmpty() ? null
          : "one more \"" + f.relation() + "\" beside " + same.stream().map(e -> "\"" + e.fact().object() + "\"").toList()
              + " (several values allowed)");
    }
    if (said.isPresent() && p >= confidence) {
      return new Classified(f, Change.UPDATE, new Fact(f.subject(), f.relation(), said.get()), false, String.format(Locale.ROOT,
          "overwrites the model's own answer \"%s\" (p=%.2f)", said.get(), p));
    }
    return new Classified(f, Change.NEW, null, false, null);
  }

  /** The model's greedy raw answer to the fact's prompt, up to the end of its first clause; empty if it gives none. */
  public static java.util.Optional<String> rawAnswer(RecallProbe probe, Fact f) {
    String text = probe.complete(f.prompt()).strip();
    int end = text.length();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '.' || c == ',' || c == ';' || c == '!' || c == '?' || c == '\n') {
        end = i;
        break;
      }
    }
    String a = text.substring(0, end).strip();
    if (a.isEmpty() || a.length() > Fact.MAX_OBJECT_CHARS) return java.util.Optional.empty();
    return java.util.Optional.of(a);
  }

  /** Probability of {@code answer} as the continuation of the fact's prompt. */
  private static double probability(RecallProbe probe, Fact f, String answer) {
    return Math.exp(probe.objectLogProbs(List.of(new Fact(f.subject(), f.relation(), answer)))[0]);
  }

  private static boolean startsWith(String text, String object) {
    return text.toLowerCase(Locale.ROOT).startsWith(object.toLowerCase(Locale.ROOT));
  }
}
