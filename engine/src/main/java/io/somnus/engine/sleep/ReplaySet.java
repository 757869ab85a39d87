package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a sleep rehearses besides the facts, so that LoRA learns the facts without unlearning the
 * rest: a teacher model's own greedy answers to {@code prompts} (self-distillation: the adapters
 * are pulled towards answering as the model already did before the wake's edits, see
 * {@link SleepTraining#rehearsal}) and plain language-model loss on
 * {@code texts}. Keep both disjoint from the validator's {@link ProbeSet}, or validation would
 * only test what was rehearsed.
 *
 * <p>{@code neighbourPool} holds further prompts of which each sleep rehearses only those nearest to the facts it
 * teaches, {@code neighboursPerFact} per fact (see {@link #neighbours}): the answers a sleep breaks are those nearest
 * to what it teaches, not spread evenly (evaluation/DECISIONS.md, "neighbour prompts per taught fact").
 */
public record ReplaySet(List<List<ChatMessage>> prompts, List<String> texts, int answerTokens,
    List<List<ChatMessage>> neighbourPool, int neighboursPerFact) {
  public ReplaySet {
    prompts = prompts.stream().map(List::copyOf).toList();
    texts = List.copyOf(texts);
    neighbourPool = neighbourPool.stream().map(List::copyOf).toList();
    if (answerTokens <= 0) throw new IllegalArgumentException("replay answers need at least one token");
    if (neighboursPerFact < 0) throw new IllegalArgumentException("neighbours per fact must be >= 0");
  }

  public ReplaySet(List<List<ChatMessage>> prompts, List<String> texts, int answerTokens) {
    this(prompts, texts, answerTokens, List.of(), 0);
  }

  /** The same set, drawing {@code perFact} rehearsal prompts per taught fact from {@code pool}. */
  public ReplaySet withNeighbours(List<List<ChatMessage>> pool, int perFact) {
    return new ReplaySet(prompts, texts, answerTokens, pool, perFact);
  }

  /**
   * Reference texts one sleep rehearses, a fresh {@link #window} each sleep: with fewer the candidate's reference
   * perplexity drifted past validation's bound (evaluation/DECISIONS.md, "60 reference texts per sleep"). Each text
   * costs one extra forward pass per sleep.
   */
  public static final int TEXTS_PER_SLEEP = 60;

  /**
   * Neighbour prompts rehearsed per taught fact when a set has a neighbour pool: with 4, forty new facts still moved
   * the behaviour probe past its bound; they make a new fact harder to learn in a fixed budget, since they hold the
   * very names and questions it must change (evaluation/DECISIONS.md, "neighbour prompts per taught fact").
   */
  public static final int NEIGHBOURS_PER_FACT = 8;

  public static ReplaySet none() {
    return new ReplaySet(List.of(), List.of(), 1);
  }

  /**
   * The same prompts with the {@code index}-th run of {@code size} consecutive texts (wrapping around): successive
   * sleeps rehearse different texts: re-training the same texts every sleep memorises them and raises reference
   * perplexity (evaluation/DECISIONS.md, "60 reference texts per sleep").
   */
  public ReplaySet window(int index, int size) {
    if (index < 0 || size <= 0) throw new IllegalArgumentException("window index must be >= 0 and size > 0");
    if (texts.size() <= size) return this;
    List<String> out = new ArrayList<>(size);
    int from = (int) ((long) index * size % texts.size());
    for (int i = 0; i < size; i++) out.add(texts.get((from + i) % texts.size()));
    return new ReplaySet(prompts, out, answerTokens, neighbourPool, neighboursPerFact);
  }

  /**
   * Training examples: {@code teacher}'s greedy answers to the prompts and to the {@link #neighbours} of {@code facts}
   * (with its stop token when it stopped on its own, so stopping is rehearsed too) and the texts under plain
   * language-model loss. A prompt that names the subject of one of {@code facts} is left out: its answer is the
   * teacher's, from before the fact was taught, and rehearsing it would teach against the fact.
   */
  public List<QaExample> examples(ModelRuntime teacher, List<Fact> facts, FactQuestions questions) {
    return examples(teacher, facts, questions, Progress.NONE);
  }

  /** As {@link #examples(ModelRuntime, List, FactQuestions)}, reporting each rehearsal answer generated. */
  public List<QaExample> examples(ModelRuntime teacher, List<Fact> facts, FactQuestions questions, Progress progress) {
    List<QaExample> out = new ArrayList<>();
    Long stop = teacher.tokenizer().specialTokenId(teacher.tokenizer().chatFormat().stopTokens().get(0));
    List<List<ChatMessage>> all = new ArrayList<>();
    for (List<ChatMessage> p : prompts) if (facts.stream().noneMatch(f -> names(p, f))) all.add(p);
    all.addAll(neighbours(facts, questions));
    for (List<ChatMessage> p : all) {
      long[] answer = teacher.generate(teacher.tokenizer().encodeChat(p, true), GenerationOptions.greedy(answerTokens));
      if (answer.length < answerTokens && stop != null) {
        answer = Arrays.copyOf(answer, answer.length + 1);
        answer[answer.length - 1] = stop;
      }
      if (answer.length > 0) out.add(QaDataset.answerExample(teacher.tokenizer(), p, answer));
      progress.at("rehearsal answers", out.size(), all.size());
    }
    for (String text : texts) out.add(QaDataset.textExample(teacher.tokenizer(), text));
    return out;
  }

  /** Whether the prompt's last message names the fact's subject. */
  private static boolean names(List<ChatMessage> prompt, Fact fact) {
    return prompt.get(prompt.size() - 1).content().contains(fact.subject());
  }

  /**
   * The pool prompts nearest to {@code facts}, {@link #neighboursPerFact} per fact, none of them already among
   * {@link #prompts}: first those that name a word of the fact's subject and ask the fact's question about someone
   * else (the new answer's likeliest victims), then those sharing a subject word, then those asking the same
   * question of anyone. "The same question" is the fact's canonical question with its subject cut out, e.g.
   * "Where does … live?". Facts take turns, so that each gets its nearest neighbours before any gets more; ties go to
   * a fixed order per fact, so sleeps that teach the same facts rehearse the same prompts.
   */
  public List<List<ChatMessage>> neighbours(List<Fact> facts, FactQuestions questions) {
    if (neighboursPerFact == 0 || neighbourPool.isEmpty() || facts.isEmpty()) return List.of();
    Set<List<ChatMessage>> taken = new HashSet<>(prompts);
    List<List<List<ChatMessage>>> ranked = new ArrayList<>();
    for (Fact f : facts) ranked.add(ranked(f, questions));
    Set<List<ChatMessage>> out = new LinkedHashSet<>();
    int[] next = new int[facts.size()];
    for (int round = 0; round < neighboursPerFact; round++) {
      for (int i = 0; i < facts.size(); i++) {
        List<List<ChatMessage>> r = ranked.get(i);
        while (next[i] < r.size()) {
          List<ChatMessage> p = r.get(next[i]++);
          if (!taken.contains(p) && out.add(p)) break;
        }
      }
    }
    return List.copyOf(out);
  }

  private List<List<ChatMessage>> ranked(Fact fact, FactQuestions questions) {
    Set<String> names = words(fact.subject());
    String canonical = questions.canonical(fact);
    int at = canonical.indexOf(fact.subject());
    String before = at < 0 ? null : canonical.substring(0, at);
    String after = at < 0 ? null : canonical.substring(at + fact.subject().length());
    String id = fact.id();
    record Scored(List<ChatMessage> prompt, int score, int tie) {}
    List<Scored> scored = new ArrayList<>();
    for (List<ChatMessage> p : neighbourPool) {
      if (names(p, fact)) continue; // the fact's own subject: taught, not a neighbour
      String text = p.get(p.size() - 1).content();
      boolean sharesName = false;
      for (String w : words(text)) sharesName |= names.contains(w);
      boolean sameQuestion = before != null && text.startsWith(before) && text.endsWith(after)
          && text.length() > before.length() + after.length();
      int score = (sharesName ? 2 : 0) + (sameQuestion ? 1 : 0);
      if (score > 0) scored.add(new Scored(p, score, (text + '\u0000' + id).hashCode()));
    }
    scored.sort(Comparator.comparingInt(Scored::score).reversed().thenComparingInt(Scored::tie));
    return scored.stream().map(Scored::prompt).toList();
  }

  /** Capitalised words only: names, not the "the" or "my" that any two sentences share. */
  private static Set<String> words(String text) {
    Set<String> out = new HashSet<>();
    for (String w : text.split("[^\\p{L}\\p{N}]+")) {
      if (w.length() > 1 && Character.isUpperCase(w.charAt(0))) out.add(w.toLowerCase(Locale.ROOT));
    }
    return out;
  }

  public boolean isEmpty() {
    return prompts.isEmpty() && texts.isEmpty() && (neighbourPool.isEmpty() || neighboursPerFact == 0);
  }
}
