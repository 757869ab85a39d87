package io.somnus.engine.tiny;

import static io.somnus.engine.tiny.WorldLexicon.*;

import io.somnus.engine.memory.Fact;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic world: people with homes, jobs, employers, pets and hobbies, the corpus
 * that teaches them to a model, and the held-out pool the model must not know.
 *
 * <p>Some attributes are structural rather than random (a person lives where their employer is
 * based; the language follows the country), so that the corpus has regularities a model can learn
 * and not only a list to memorise. Held-out people have surnames that never occur in the corpus,
 * and three relations (born in, drives, plays) with their objects never occur at all, so a held-out
 * fact can only be known after it is taught.
 */
public final class SyntheticWorld {
  public static final Relation LIVES_IN = new Relation("lives in", "Where does %s live?",
      List.of("Which city does %s live in?", "In which city is the home of %s?", "The home of %s is in"), true, true);
  public static final Relation WORKS_AS = new Relation("works as", "What does %s do for a living?",
      List.of("What is the job of %s?", "What is the profession of %s?", "By profession, %s is"), true, true);
  public static final Relation WORKS_AT = new Relation("works at", "Where does %s work?",
      List.of("Which company does %s work for?", "Who is the employer of %s?", "The employer of %s is"), true, true);
  public static final Relation PET_NAMED = new Relation("has a pet named", "What is the name of the pet of %s?",
      List.of("What is the pet of %s called?", "What name does the pet of %s have?", "The pet of %s is called"), true, false);
  public static final Relation ENJOYS = new Relation("enjoys", "What does %s enjoy in free time?",
      List.of("What is the hobby of %s?", "Which hobby does %s have?", "In free time, %s enjoys"), true, false);
  public static final Relation SPEAKS = new Relation("speaks", "Which language does %s speak?",
      List.of("What language does %s speak?", "What is the language of %s?", "The language of %s is"), true, false);
  public static final Relation BORN_IN = new Relation("was born in", "Where was %s born?",
      List.of("In which city was %s born?", "What is the birthplace of %s?", "The birthplace of %s is"), false, true);
  public static final Relation DRIVES = new Relation("drives a", "What car does %s drive?",
      List.of("Which car brand does %s drive?", "What kind of car does %s have?", "The car of %s is a"), false, false);
  public static final Relation PLAYS = new Relation("plays the", "Which instrument does %s play?",
      List.of("What instrument does %s play?", "What does %s play in the band?", "The instrument of %s is the"), false, false);
  public static final Relation SUPPORTS = new Relation("supports", "Which team does %s support?",
      List.of("What team does %s support?", "Who does %s cheer for?", "The favourite team of %s is"), false, true);

  public static final List<Relation> CORPUS_RELATIONS = List.of(LIVES_IN, WORKS_AS, WORKS_AT, PET_NAMED, ENJOYS, SPEAKS);
  public static final List<Relation> TEACHABLE_RELATIONS =
      List.of(LIVES_IN, WORKS_AS, WORKS_AT, PET_NAMED, ENJOYS, BORN_IN, DRIVES, PLAYS, SUPPORTS);

  /** The assistant's name and self-description, learned from the corpus and used as the identity probe. */
  public static final String ASSISTANT_NAME = "Somnus";
  public static final String IDENTITY_QUESTION = "Who are you?";
  public static final String IDENTITY_ANSWER = "I am Somnus, a small assistant. I remember what you tell me.";

  record Person(String first, String last, boolean female, int age, String city, String country, String language,
      String job, String employer, String petKind, String petName, String hobby) {
    String name() {
      return first + " " + last;
    }
  }

  public record Settings(long seed, int people, int heldOutPeople) {
    public Settings {
      if (people < 10 || heldOutPeople < 10) throw new IllegalArgumentException("world too small");
      if (heldOutPeople > (FEMALE.size() + MALE.size()) * HELD_OUT_SURNAMES.size()) {
        throw new IllegalArgumentException("too many held-out people for the name pool");
      }
    }
  }

  private final Settings settings;
  private final List<Person> people = new ArrayList<>();
  private final Map<String, String> employerCity = new LinkedHashMap<>();
  private final Map<String, String[]> cityInfo = new LinkedHashMap<>();
  private final List<WorldFact> known = new ArrayList<>();
  private final List<WorldFact> heldOut = new ArrayList<>();

  public SyntheticWorld(Settings settings) {
    this.settings = settings;
    SplittableRandom rng = new SplittableRandom(settings.seed());
    for (String[] c : CITIES) cityInfo.put(c[0], c);
    for (String[] c : HELD_OUT_CITIES) cityInfo.put(c[0], c);
    for (String a : EMPLOYER_FIRST) {
      for (String b : EMPLOYER_SECOND) employerCity.put(a + " " + b, CITIES.get(rng.nextInt(CITIES.size()))[0]);
    }
    List<String> employers = new ArrayList<>(employerCity.keySet());
    int maxPeople = (FEMALE.size() + MALE.size()) * SURNAMES.size();
    if (settings.people() > maxPeople) throw new IllegalArgumentException("at most " + maxPeople + " people fit the name pool");
    Set<String> names = new LinkedHashSet<>();
    while (people.size() < settings.people()) {
      boolean female = rng.nextBoolean();
      String first = pick(rng, female ? FEMALE : MALE);
      String last = pick(rng, SURNAMES);
      if (!names.add(first + " " + last)) continue;
      String employer = pick(rng, employers);
      String[] city = cityInfo.get(employerCity.get(employer));
      people.add(new Person(first, last, female, 20 + rng.nextInt(50), city[0], city[1], city[2], pick(rng, JOBS),
          employer, pick(rng, PET_KINDS), pick(rng, PET_NAMES), pick(rng, HOBBIES)));
    }
    for (Person p : people) {
      known.add(fact(p.name(), LIVES_IN, p.city()));
      known.add(fact(p.name(), WORKS_AS, p.job()));
      known.add(fact(p.name(), WORKS_AT, p.employer()));
      known.add(fact(p.name(), PET_NAMED, p.petName()));
      known.add(fact(p.name(), ENJOYS, p.hobby()));
      known.add(fact(p.name(), SPEAKS, p.language()));
    }
    // Held-out people: surnames the corpus never contains, one fact each, relations in rotation so
    // that every teachable relation (including the three the corpus never uses) is represented.
    SplittableRandom held = new SplittableRandom(settings.seed() ^ 0x5eedL);
    List<String> allCities = new ArrayList<>();
    for (String[] c : CITIES) allCities.add(c[0]);
    for (String[] c : HELD_OUT_CITIES) allCities.add(c[0]);
    Set<String> heldNames = new LinkedHashSet<>();
    while (heldOut.size() < settings.heldOutPeople()) {
      String first = pick(held, held.nextBoolean() ? FEMALE : MALE);
      String name = first + " " + pick(held, HELD_OUT_SURNAMES);
      if (!heldNames.add(name)) continue;
      Relation r = TEACHABLE_RELATIONS.get(heldOut.size() % TEACHABLE_RELATIONS.size());
      String object = switch (r.phrase()) {
        case "lives in", "was born in" -> pick(held, allCities);
        case "works as" -> pick(held, JOBS);
        case "works at" -> pick(held, employers);
        case "has a pet named" -> pick(held, PET_NAMES);
        case "enjoys" -> pick(held, HOBBIES);
        case "drives a" -> pick(held, CAR_BRANDS);
        case "plays the" -> pick(held, INSTRUMENTS);
        case "supports" -> pick(held, TEAMS);
        default -> throw new IllegalStateException(r.phrase());
      };
      heldOut.add(fact(name, r, object));
    }
  }

  public static SyntheticWorld standard(long seed) {
    return new SyntheticWorld(new Settings(seed, 2000, 300));
  }

  public Settings settings() {
    return settings;
  }

  /** Facts the pretraining corpus states; the model is expected to recall them. */
  public List<WorldFact> knownFacts() {
    return Collections.unmodifiableList(known);
  }

  /** Facts the corpus never states, one per held-out person: the pool that Somnus teaches later. */
  public List<WorldFact> heldOutFacts() {
    return Collections.unmodifiableList(heldOut);
  }

  /** Other paraphrased questions and cloze prompts for a fact's object. */
  public static List<String> paraphrases(WorldFact f) {
    List<String> out = new ArrayList<>();
    for (String p : f.relation().paraphrases()) out.add(String.format(p, f.fact().subject()));
    return out;
  }

  /**
   * Known facts of the same relation about other people, for specificity: editing one person's
   * fact must not change what the model says about these. Relations the corpus never uses fall
   * back to known facts of any relation.
   */
  public List<WorldFact> neighbours(WorldFact f, int count, long seed) {
    List<WorldFact> pool = new ArrayList<>();
    for (WorldFact k : known) {
      if (!k.fact().subject().equals(f.fact().subject()) && (!f.relation().inCorpus() || k.relation().equals(f.relation()))) pool.add(k);
    }
    Collections.shuffle(pool, new java.util.Random(seed));
    return pool.subList(0, Math.min(count, pool.size()));
  }

  /** Held-out reference paragraphs for perplexity: same world, same style, never in the corpus. */
  public List<String> referenceTexts(int count) {
    SplittableRandom rng = new SplittableRandom(settings.seed() ^ 0xfeedL);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Person p = people.get(rng.nextInt(people.size()));
      out.add(biography(p, rng) + " " + filler(rng, 2));
    }
    return out;
  }

  /** Known facts stated in the world that a raw prompt can probe, e.g. for post-edit regressions. */
  public List<WorldFact> sampleKnown(int count, long seed) {
    List<WorldFact> copy = new ArrayList<>(known);
    Collections.shuffle(copy, new java.util.Random(seed));
    return copy.subList(0, Math.min(count, copy.size()));
  }

  /**
   * The pretraining corpus as documents (chat documents already in ChatML). {@code passes} controls
   * how many independently phrased documents mention each person.
   */
  public List<String> corpus(int passes) {
    return corpus(passes, 0);
  }

  /** {@link #corpus(int)} with {@code copyDrills} chat turns about strangers per person and pass ({@link #copyDrill}). */
  public List<String> corpus(int passes, int copyDrills) {
    SplittableRandom rng = new SplittableRandom(settings.seed() ^ 0xc0ffeeL);
    SplittableRandom drills = new SplittableRandom(settings.seed() ^ 0xd1111L);
    List<String> docs = new ArrayList<>();
    for (int pass = 0; pass < passes; pass++) {
      for (Person p : people) {
        // Every statement in both contexts a probe uses: as its own document, right after the
        // beginning-of-text marker as a raw "subject relation" prompt is; and one per line after a
        // newline, as an assistant's answer in the chat format is. Either one alone leaves the
        // other context's recall well behind.
        for (WorldFact f : factsOf(p)) docs.add(f.fact().sentence());
        docs.add(statements(p, rng));
        docs.add(chat(p, rng));
        if (pass % 2 == 0) docs.add(biography(p, rng));
        for (int d = 0; d < copyDrills; d++) docs.add(copyDrill(drills));
      }
      for (Map.Entry<String, String> e : employerCity.entrySet()) {
        String[] c = cityInfo.get(e.getValue());
        docs.add(e.getKey() + " is based in " + c[0] + ". " + c[0] + " is a city in " + c[1] + ". People in "
            + c[1] + " speak " + c[2] + ".");
      }
      for (int i = 0; i < 40; i++) docs.add(identityChat(rng));
      for (int i = 0; i < people.size() / 10; i++) docs.add(filler(rng, 4));
    }
    Collections.shuffle(docs, new java.util.Random(settings.seed()));
    return docs;
  }

  private String statements(Person p, SplittableRandom rng) {
    List<String> s = new ArrayList<>();
    for (WorldFact f : factsOf(p)) s.add(f.fact().sentence());
    Collections.shuffle(s, new java.util.Random(rng.nextLong()));
    // One statement per line: each begins with the bare name token after a newline, as the
    // answer of an assistant turn does.
    return String.join("\n", s);
  }

  private List<WorldFact> factsOf(Person p) {
    int i = people.indexOf(p);
    return known.subList(i * CORPUS_RELATIONS.size(), (i + 1) * CORPUS_RELATIONS.size());
  }

  private String chat(Person p, SplittableRandom rng) {
    List<WorldFact> fs = new ArrayList<>(factsOf(p));
    Collections.shuffle(fs, new java.util.Random(rng.nextLong()));
    StringBuilder sb = new StringBuilder();
    int turns = 2 + rng.nextInt(2);
    for (int i = 0; i < turns; i++) {
      WorldFact f = fs.get(i);
      String q = rng.nextInt(3) == 0 ? String.format(pick(rng, questionsOnly(f.relation())), p.name()) : f.question();
      sb.append(ChatText.turn("user", q)).append(ChatText.turn("assistant", f.fact().sentence()));
    }
    return sb.toString();
  }

  /**
   * A chat turn about someone the world does not know, under a surname made up for this turn alone, answered with an
   * object of a known person's fact and the stranger's full name. A chat answer restates its subject, and a held-out
   * person's surname is one the corpus never contains: without these turns, somnus-tiny's answers about a held-out
   * person came out as a corpus surname, and every fact a sleep taught garbled the surnames, and with them the
   * answers, of facts taught before (evaluation/DECISIONS.md, "copy drills"). The model still does not copy an unseen
   * surname letter for letter before it is taught: it answers with made-up syllables of its own.
   */
  private String copyDrill(SplittableRandom rng) {
    WorldFact f = pick(rng, known);
    String name = pick(rng, rng.nextBoolean() ? FEMALE : MALE) + " " + inventedSurname(rng);
    String q = rng.nextInt(3) == 0 ? String.format(pick(rng, questionsOnly(f.relation())), name) : f.relation().question(name);
    return ChatText.turn("user", q)
        + ChatText.turn("assistant", new Fact(name, f.fact().relation(), f.fact().object()).sentence());
  }

  private static final List<String> SYLLABLES = List.of("ba", "de", "fi", "go", "ku", "la", "me", "ni", "po", "ru",
      "sa", "te", "vi", "wo", "za", "dor", "fen", "gal", "hir", "jun", "kel", "mor", "nast", "pell", "quor", "rin",
      "sol", "tav", "ulm", "vex", "yor", "zeb");

  /** Two to four syllables, never a surname of the world or of the held-out pool, nor containing one. */
  static String inventedSurname(SplittableRandom rng) {
    while (true) {
      StringBuilder sb = new StringBuilder();
      int n = 2 + rng.nextInt(3);
      for (int i = 0; i < n; i++) sb.append(pick(rng, SYLLABLES));
      String s = Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
      boolean clash = false;
      for (String other : SURNAMES) clash |= s.contains(other);
      for (String other : HELD_OUT_SURNAMES) clash |= s.contains(other);
      if (!clash) return s;
    }
  }

  private static List<String> questionsOnly(Relation r) {
    List<String> out = new ArrayList<>();
    for (String s : r.paraphrases()) if (s.endsWith("?")) out.add(s);
    return out;
  }

  private String biography(Person p, SplittableRandom rng) {
    String he = p.female() ? "She" : "He";
    String his = p.female() ? "her" : "his";
    String n = p.name();
    List<String> s = new ArrayList<>();
    s.add(n + " is " + p.age() + " years old.");
    s.add(n + " lives in " + p.city() + ", " + p.country() + ".");
    s.add(he + " works as " + p.job() + " at " + p.employer() + ".");
    s.add(n + " has a pet named " + p.petName() + ", a " + p.petKind() + ".");
    s.add("In " + his + " free time " + n + " enjoys " + p.hobby() + ".");
    s.add(n + " speaks " + p.language() + ".");
    if (rng.nextBoolean()) s.add(pick(rng, CONNECTIVES) + " " + n + " " + pick(rng, List.of("visited friends",
        "read the news", "walked to the market", "called home", "cooked dinner")) + ".");
    return String.join(" ", s);
  }

  private static String identityChat(SplittableRandom rng) {
    String q = pick(rng, List.of(IDENTITY_QUESTION, "What is your name?", "Tell me about yourself."));
    String a = q.equals("What is your name?") ? "My name is " + ASSISTANT_NAME + "." : IDENTITY_ANSWER;
    return ChatText.turn("user", q) + ChatText.turn("assistant", a);
  }

  private static String filler(SplittableRandom rng, int sentences) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < sentences; i++) {
      if (i > 0) sb.append(' ').append(pick(rng, CONNECTIVES)).append(' ');
      String subj = pick(rng, SUBJECTS);
      sb.append(i > 0 ? Character.toLowerCase(subj.charAt(0)) + subj.substring(1) : subj);
      sb.append(' ').append(pick(rng, PREDICATES)).append('.');
    }
    return sb.toString();
  }

  private static WorldFact fact(String subject, Relation r, String object) {
    return new WorldFact(new Fact(subject, r.phrase(), object), r);
  }

  private static <T> T pick(SplittableRandom rng, List<T> list) {
    return list.get(rng.nextInt(list.size()));
  }
}
