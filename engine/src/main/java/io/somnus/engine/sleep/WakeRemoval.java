package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes facts held by MEMIT edits (stages 0–2, and stage 3 while their edit is kept for others) out of a memory state
 * exactly: every edit that wrote one of them is
 * removed (the {@link EditSet} rebuilds the weights from its copy of the base, so nothing of it is left), and the other
 * facts such an edit held are solved again, without the removed ones, as one edit that replaces it.
 *
 * <p>Why re-solve rather than write a counter-edit: an edit is one least-squares solve over all its facts, so no part of
 * its low-rank deltas is "the old fact's share" that could be subtracted; a counter-edit pushing the old answer away
 * would leave both in the weights, and the two would drift apart as consolidation scales the old edit down. Removing
 * the edit is exact by construction, and re-solving its other facts on the weights without it keeps them recalled.
 *
 * <p>The re-solved edit keeps its facts' stages: it is computed on the current weights (which, past stage 0, already
 * hold part of those facts in fused LoRA) and stored divided by the edit's scale, so that at that scale it adds exactly
 * what the solve found missing, and the consolidation schedule scales it down from there as it did the old one. The
 * removed facts' prompts are zero-target rows of that solve, so it does not write their old answers back.
 *
 * <p>Works on a scratch copy of the weights like {@link WakeWrite}; the caller decides whether the new state goes live.
 */
public final class WakeRemoval {
  private WakeRemoval() {}

  /**
   * @param state the memory state without the removed facts
   * @param removed the facts taken out, in the order asked
   * @param replacedEditIds ids of the state's edits that held a removed fact and are gone
   * @param resolved the edits that replace them for their other facts (one per replaced edit that held others)
   * @param notKept other facts of a replaced edit the re-solve could not write again, with the reason: their stage row
   *     is gone with the edit and the caller must say so
   */
  public record Result(MemoryState state, List<Fact> removed, Set<String> replacedEditIds, List<MemitEdit> resolved,
      Map<Fact, String> notKept) {
    public Result {
      removed = List.copyOf(removed);
      replacedEditIds = Set.copyOf(replacedEditIds);
      resolved = List.copyOf(resolved);
      notKept = Map.copyOf(notKept);
    }
  }

  /**
   * Whether an edit of the state still carries {@code fact}: always below stage 3, and at stage 3 while the edit is kept
   * at a non-zero scale for other facts of it that are not consolidated yet.
   */
  public static boolean heldByAnEdit(MemoryState state, Fact fact) {
    return state.edits().stream().anyMatch(e -> e.facts().contains(fact));
  }

  /**
   * @param facts facts of {@code state}'s table that an edit still carries ({@link #heldByAnEdit})
   * @throws IllegalArgumentException naming a fact the state does not hold, or holds in fused weights only (stage 3)
   */
  public static Result remove(MemoryState state, Collection<Fact> facts, List<String> statsTexts, Path statsCache, Device device) {
    FactStageTable table = state.stages();
    Set<Fact> removed = new LinkedHashSet<>(facts);
    for (Fact f : removed) {
      FactStageTable.Entry e = table.entry(f).orElseThrow(() -> new IllegalArgumentException(
          "fact " + f.id() + " (" + f.sentence() + ") is not in this memory state"));
      if (e.stage() == FactStage.CONSOLIDATED && !heldByAnEdit(state, f)) {
        throw new IllegalArgumentException("fact " + f.id() + " (" + f.sentence() + ") is consolidated (stage 3) and its edit is"
            + " dissolved: the fused weights hold it, not a MEMIT edit, so only a sleep can unlearn it");
      }
    }
    List<MemitEdit> affected = new ArrayList<>();
    for (MemitEdit e : state.edits()) if (e.facts().stream().anyMatch(removed::contains)) affected.add(e);
    if (affected.isEmpty()) throw new IllegalArgumentException("no edit of this memory state holds " + removed);

    Map<Fact, String> notKept = new LinkedHashMap<>();
    List<MemitEdit> resolved = new ArrayList<>();
    FactStageTable next = table.without(removed);
    try (ScratchEdits scratch = new ScratchEdits(state, statsTexts, statsCache, device)) {
      EditSet set = scratch.set();
      for (MemitEdit e : affected) set.remove(e.id());
      for (MemitEdit e : affected) {
        List<Fact> rest = new ArrayList<>(next.factsOf(e));
        if (rest.isEmpty()) continue;
        float scale = next.scale(e);
        if (scale == 0f) continue; // what is left of it is consolidated: the fused weights hold it without the edit
        List<Fact> preserve = new ArrayList<>(set.activeFacts());
        preserve.removeAll(rest);
        preserve.addAll(removed);
        EditResult r = scratch.editor().compute(rest, preserve, null);
        for (EditResult.SkippedFact s : r.skipped()) notKept.put(s.fact(), s.reason());
        if (r.edit() == null) continue;
        MemitEdit edit = r.edit().scaledBy(1f / scale);
        try {
          set.apply(edit, scale);
        } catch (EditSet.NonFiniteEditException bad) {
          for (Fact f : edit.facts()) notKept.put(f, bad.getMessage());
          continue;
        }
        next = next.withEditReplacing(edit, List.of(e.id()));
        resolved.add(edit);
      }
      next = next.without(notKept.keySet());
      List<MemitEdit> edits = set.edits();
      Set<String> replaced = new LinkedHashSet<>();
      for (MemitEdit e : affected) replaced.add(e.id());
      return new Result(new MemoryState(state.fusedCheckpoint(), state.generation(), edits, next), List.copyOf(removed),
          replaced, resolved, notKept);
    }
  }
}
