package io.somnus.evaluation;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the generalisation probes for a set of taught facts. Multi-hop expectations come from the
 * world's structural rules, read back from the facts the corpus states (for every known person:
 * employer → home city, home city → language), so they are exactly what a model that learned the
 * rules and was taught the first hop would answer.
 */
public final class Probes {
  private final Map<String, String> employerCity = new LinkedHashMap<>();
  private final Map<String, String> cityLanguage = new LinkedHashMap<>();
  private final int paraphrases;

  /** @param paraphrases paraphrased questions (and, separately, cloze prompts) asked per fact, at most 2 */
  public Probes(SyntheticWorld world, int paraphrases) {
    if (paraphrases < 0) throw new IllegalArgumentException("paraphrases must be >= 0");
    this.paraphrases = paraphrases;
    Map<String, Map<String, String>> byPerson = new LinkedHashMap<>();
    for (WorldFact k : world.knownFacts()) {
      byPerson.computeIfAbsent(k.fact().subject(), s -> new LinkedHashMap<>()).put(k.fact().relation(), k.fact().object());
    }
    for (Map<String, String> p : byPerson.values()) {
      String city = p.get(SyntheticWorld.LIVES_IN.phrase());
      String employer = p.get(SyntheticWorld.WORKS_AT.phrase());
      String language = p.get(SyntheticWorld.SPEAKS.phrase());
      if (city != null && employer != null) employerCity.put(employer, city);
      if (city != null && language != null) cityLanguage.put(city, language);
    }
  }

  /** All probes of every kind for {@code taught}, in a fixed order. */
  public List<Probe> all(List<WorldFact> taught) {
    List<Probe> out = new ArrayList<>();
    for (Probe.Kind k : Probe.Kind.values()) out.addAll(of(k, taught));
    return out;
  }

  public List<Probe> of(Probe.Kind kind, List<WorldFact> taught) {
    List<Probe> out = new ArrayList<>();
    for (WorldFact wf : taught) {
      Fact f = wf.fact();
      switch (kind) {
        case CHAT -> out.add(new Probe(f, kind, wf.question(), f.object()));
        case RAW -> out.add(new Probe(f, kind, f.prompt(), f.object()));
        case CHAT_PARAPHRASE, RAW_PARAPHRASE -> {
          int taken = 0;
          for (String p : SyntheticWorld.paraphrases(wf)) {
            boolean question = p.endsWith("?");
            if (question == (kind == Probe.Kind.CHAT_PARAPHRASE) && taken++ < paraphrases) out.add(new Probe(f, kind, p, f.object()));
          }
        }
        case MULTI_HOP -> {
          Probe p = multiHop(wf);
          if (p != null) out.add(p);
        }
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** The two-hop question for a taught fact, or null when its relation has no rule to chain. */
  Probe multiHop(WorldFact wf) {
    Fact f = wf.fact();
    if (f.relation().equals(SyntheticWorld.WORKS_AT.phrase()) && employerCity.containsKey(f.object())) {
      return new Probe(f, Probe.Kind.MULTI_HOP, SyntheticWorld.LIVES_IN.question(f.subject()), employerCity.get(f.object()));
    }
    if (f.relation().equals(SyntheticWorld.LIVES_IN.phrase()) && cityLanguage.containsKey(f.object())) {
      return new Probe(f, Probe.Kind.MULTI_HOP, SyntheticWorld.SPEAKS.question(f.subject()), cityLanguage.get(f.object()));
    }
    return null;
  }

  /** {@code n} held-out facts drawn for one seed (a seeded shuffle of the pool, which rotates relations). */
  public static List<WorldFact> sample(SyntheticWorld world, int n, long seed) {
    List<WorldFact> pool = new ArrayList<>(world.heldOutFacts());
    if (n > pool.size()) throw new IllegalArgumentException("asked for " + n + " facts, the held-out pool has " + pool.size());
    Collections.shuffle(pool, new java.util.Random(seed));
    return List.copyOf(pool.subList(0, n));
  }
}
