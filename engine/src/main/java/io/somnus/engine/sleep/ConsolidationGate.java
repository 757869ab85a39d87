package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Per-fact gating on a candidate: for each edit that still holds unconsolidated facts, the edit
 * alone is scaled to 0 (the others stay applied) and each of its facts is asked in chat; the answer
 * shows whether the fused weights now carry the fact without MEMIT's help. A fact that passes advances one stage.
 * A fact that fails steps back one stage, so that its edit gets stronger, unless that would not help it:
 * <ul>
 *   <li>recalled with its edit back at its current scale, it holds its stage (the edit still does its job, the
 *       adapters have not yet taken over);
 *   <li>missed there too, it is asked once more with its edit at the scale that stepping back would give it; only if
 *       that brings it back does it step back, otherwise it holds.
 * </ul>
 * A step back that leaves the edit's scale as it is (another of its facts is further behind) is taken without asking.
 *
 * <p>Each edit whose scale the new stages change is then tried at that scale: if any fact still under an edit loses a
 * raw completion it gave at the current scales, or a fact that held its stage because its edit still carried it loses
 * its chat answer, the edit keeps its scale (the facts that would move it hold their stage, see
 * {@link Result#keptScale}). Validation refuses a candidate that loses recalled facts unless it recovers enough others
 * ({@link ValidationConfig#recoveredPerLoss}), so changing the scale anyway could throw away everything else the sleep
 * learned. Chat recall says nothing about raw completion, which MEMIT
 * wrote and the adapters may not yet carry, and a wake write is solved against the edits before it at their scales
 * (evaluation/DECISIONS.md, "an edit keeps its scale").
 * Afterwards the candidate's edit scales are set from the new stages.
 *
 * <p>Why not step back every miss: stepping back raises the edit's scale to one the sleep's adapters were never
 * trained with ({@link SleepTraining} trains at the current scales, the scales after a full pass, and without edits),
 * and on somnus-tiny that broke other facts (evaluation/DECISIONS.md, "a missed fact is not stepped back").
 */
public final class ConsolidationGate {
  private final BiPredicate<ModelRuntime, Fact> chat;
  private final BiPredicate<ModelRuntime, Fact> raw;

  public ConsolidationGate(FactRecall recall) {
    this(recall::chat, recall::raw);
  }

  /**
   * @param chat whether the model recalls the fact in chat (tests script it)
   * @param raw whether the model completes the fact's raw prompt with its object
   */
  ConsolidationGate(BiPredicate<ModelRuntime, Fact> chat, BiPredicate<ModelRuntime, Fact> raw) {
    this.chat = chat;
    this.raw = raw;
  }

  /**
   * @param passed fact id → recalled in chat with its edit off (every gated fact)
   * @param held the facts that hold their stage although gated: failed without their edit and recalled with it at
   *     its current scale, or not brought back by the scale a step back would give it; or facts whose move would
   *     change the scale of an edit in {@code keptScale}
   * @param keptScale edits that keep their scale because a fact was lost at the new one
   */
  public record Result(FactStageTable.Transition transition, Map<String, Boolean> passed, Set<String> held,
      Set<String> keptScale, Map<String, Float> scales, double seconds) {
    public Result {
      passed = Collections.unmodifiableMap(new LinkedHashMap<>(passed));
      held = Collections.unmodifiableSet(new LinkedHashSet<>(held));
      keptScale = Collections.unmodifiableSet(new LinkedHashSet<>(keptScale));
      scales = Collections.unmodifiableMap(new LinkedHashMap<>(scales));
    }

    public FactStageTable table() {
      return transition.table();
    }
  }

  public Result run(ComposedModel candidate, FactStageTable table) {
    return run(candidate, table, Progress.NONE);
  }

  /** As {@link #run(ComposedModel, FactStageTable)}, reporting each edit gated and each scale change tried. */
  public Result run(ComposedModel candidate, FactStageTable table, Progress progress) {
    long t0 = System.nanoTime();
    int gated = 0;
    Map<String, Float> current = new LinkedHashMap<>(candidate.scales());
    Map<String, Boolean> passed = new LinkedHashMap<>();
    Set<String> held = new LinkedHashSet<>();
    // Held because the edit at its current scale still carries them: their chat answer depends on that scale.
    Set<String> carried = new LinkedHashSet<>();
    for (MemitEdit e : candidate.edits()) {
      progress.at("gate", gated++, candidate.edits().size());
      float original = candidate.scale(e.id());
      if (original == 0f || table.dissolved(e)) continue;
      List<Fact> missed = new ArrayList<>();
      candidate.setScale(e.id(), 0f);
      try {
        // A fact that a later edit re-wrote is gated with that edit, not this one.
        for (Fact f : table.factsOf(e)) {
          boolean hit = chat.test(candidate.runtime(), f);
          passed.put(f.id(), hit);
          if (!hit) missed.add(f);
        }
      } finally {
        candidate.setScale(e.id(), original);
      }
      for (Fact f : missed) {
        if (chat.test(candidate.runtime(), f)) {
          held.add(f.id());
          carried.add(f.id());
          continue;
        }
        float stronger = table.afterGate(Map.of(f.id(), false)).table().scale(e);
        if (stronger <= original) continue;
        candidate.setScale(e.id(), stronger);
        try {
          if (!chat.test(candidate.runtime(), f)) held.add(f.id());
        } finally {
          candidate.setScale(e.id(), original);
        }
      }
    }
    Map<String, Boolean> moves = new LinkedHashMap<>(passed);
    moves.keySet().removeAll(held);
    Set<String> keptScale = new LinkedHashSet<>();
    FactStageTable.Transition t = table.afterGate(moves);
    // Changed edits are tried one at a time, on top of those already let through, and every fact of every edit still
    // applied is watched: a wake write is solved against the edits before it at their scales, so moving one edit can
    // cost the raw completions of facts under another.
    Map<String, Float> trial = new LinkedHashMap<>(current);
    List<MemitEdit> changed = new ArrayList<>();
    for (MemitEdit e : candidate.edits()) {
      if (t.table().scale(e) != current.get(e.id())) changed.add(e);
    }
    if (!changed.isEmpty()) {
      List<Fact> watched = new ArrayList<>();
      for (MemitEdit e : candidate.edits()) if (current.get(e.id()) > 0f) watched.addAll(table.factsOf(e));
      candidate.setScales(current);
      Map<String, Boolean> rawBefore = new LinkedHashMap<>();
      for (Fact f : watched) rawBefore.put(f.id(), raw.test(candidate.runtime(), f));
      int tried = 0;
      for (MemitEdit e : changed) {
        progress.at("gate scale changes", tried++, changed.size());
        trial.put(e.id(), t.table().scale(e));
        candidate.setScales(trial);
        if (!losesAny(candidate, watched, rawBefore, carried)) continue;
        trial.put(e.id(), current.get(e.id()));
        keptScale.add(e.id());
        // Its facts at its stage that would advance, and those that would step back, hold: the edit's least
        // consolidated stage, and with it its scale, stays as it was.
        FactStage min = table.minStage(e);
        for (Fact f : table.factsOf(e)) {
          Boolean move = moves.get(f.id());
          if (move != null && (!move || table.stage(f) == min)) {
            moves.remove(f.id());
            held.add(f.id());
          }
        }
      }
      t = table.afterGate(moves);
    }
    Map<String, Float> scales = t.table().scales(candidate.edits());
    candidate.setScales(scales);
    return new Result(t, passed, held, keptScale, scales, (System.nanoTime() - t0) / 1e9);
  }

  /** Whether a fact gives up a raw completion it gave before, or a carried fact its chat answer. */
  private boolean losesAny(ComposedModel candidate, List<Fact> watched, Map<String, Boolean> rawBefore, Set<String> carried) {
    for (Fact f : watched) {
      if (rawBefore.get(f.id()) && !raw.test(candidate.runtime(), f)) return true;
      if (carried.contains(f.id()) && !chat.test(candidate.runtime(), f)) return true;
    }
    return false;
  }
}
