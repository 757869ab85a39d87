package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.FactStage;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.memory.RecallProbe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One wake turn's MEMIT write on a memory state, the way the product writes: one edit for the turn's facts with every
 * fact already in memory (in an edit at any scale, or consolidated into the fused weights) as a soft preservation row,
 * then the repairs. Full-scale facts the edit displaced are topped up and merged with the edits holding them
 * ({@link MemitEditor#repair}). Facts below full scale (consolidating, or consolidated with their edit dissolved) that
 * the model stated before the write and no longer does are written again by a top-up edit of their own and restart at
 * stage 0: they are in MEMIT at full scale again, and the next sleeps consolidate them anew. It works on a scratch copy
 * of the state's fused weights with the state's edits reapplied at their scales, so whatever model serves the state is
 * not touched ({@link ScratchEdits}); the caller decides whether the {@link Result#state new state} goes live.
 *
 * <p>Soft preservation plus repair is what the evaluation's wake-capacity experiment
 * measures; an AlphaEdit null-space projection on top of it wrote fewer facts there (0.856 against 0.889 recall at 30
 * facts) and drifted more. Why the facts below full scale too: a sleep dissolves edits, so after a few sleeps most of
 * what memory holds is in no active edit, and a later teach that only weighed active edits displaced them.
 */
public final class WakeWrite {
  /**
   * Top-up rounds after facts from below full scale are written again. Why more than the configured rounds: facts of
   * one relation compete for the same keys, and a top-up for some can displace others a round or two longer.
   */
  static final int REPAIR_ROUNDS_AFTER_A_REWRITE = 4;

  private WakeWrite() {}

  /**
   * @param state the memory state after the write: same fused checkpoint and generation, the merged edits replacing the
   *     ones they took over (a fact keeps its stage under the edit that took it over), the new facts at stage 0, and
   *     displaced facts from below full scale back at stage 0 under their top-up
   * @param edit the edit holding the first written fact (after any merge), null when nothing was written
   * @param written facts of the turn now written
   * @param repaired earlier facts the new edit displaced and the repairs wrote again
   * @param notKept earlier facts the model stated before this write and does not after it, repairs included
   * @param replacedEditIds ids of the state's edits the repair merged into others
   * @param skipped sentence → why MEMIT could not write it
   */
  public record Result(MemoryState state, MemitEdit edit, List<Fact> written, List<Fact> repaired, List<Fact> notKept,
      Set<String> replacedEditIds, Map<String, String> skipped) {
    public Result {
      written = List.copyOf(written);
      repaired = List.copyOf(repaired);
      notKept = List.copyOf(notKept);
      replacedEditIds = Set.copyOf(replacedEditIds);
      skipped = Map.copyOf(skipped);
    }
  }

  /**
   * @param facts the turn's facts, none of them in {@code state} already
   * @param statsTexts generic text for MEMIT's key statistics
   * @param statsCache folder caching those statistics, or null
   */
  public static Result write(MemoryState state, List<Fact> facts, List<String> statsTexts, Path statsCache, Device device) {
    Map<String, String> skipped = new LinkedHashMap<>();
    try (ScratchEdits scratch = new ScratchEdits(state, statsTexts, statsCache, device)) {
      EditSet set = scratch.set();
      RecallProbe probe = new RecallProbe(scratch.runtime());
      List<Fact> statedBelowFullScale = stated(probe, belowFullScale(state.stages()));
      MemitEditor.WriteResult w = scratch.editor().write(set, facts, true, null, heldOutsideActiveEdits(state.stages(), set));
      Turn turn = new Turn(state.stages());
      for (EditResult r : w.edits()) {
        for (EditResult.SkippedFact s : r.skipped()) skipped.put(s.fact().sentence(), s.reason());
        if (r.edit() != null) turn.table = turn.table.withEdit(r.edit());
      }
      List<Fact> written = w.written();
      if (written.isEmpty()) return new Result(state, null, List.of(), List.of(), List.of(), Set.of(), skipped);
      for (MemitEditor.Repair repair : w.repairs()) turn.record(repair, written);

      // Displaced by the write; whichever of them writing again does not bring back is not kept.
      List<Fact> notKept = unstated(probe, statedBelowFullScale);
      if (!notKept.isEmpty() && turn.writeAgain(scratch, notKept)) {
        turn.repaired.addAll(notKept);
        turn.record(scratch.editor().repair(set, REPAIR_ROUNDS_AFTER_A_REWRITE), written);
        notKept = unstated(probe, statedBelowFullScale);
      }

      List<MemitEdit> edits = set.edits();
      MemitEdit edit = edits.stream().filter(e -> e.facts().contains(written.get(0))).findFirst().orElseThrow();
      return new Result(new MemoryState(state.fusedCheckpoint(), state.generation(), edits, turn.table), edit, written,
          turn.repaired, notKept, turn.replaced, skipped);
    }
  }

  /** The stage table as the turn's edits and repairs change it, and what they wrote again. */
  private static final class Turn {
    FactStageTable table;
    final List<Fact> repaired = new ArrayList<>();
    final Set<String> replaced = new LinkedHashSet<>();

    Turn(FactStageTable table) {
      this.table = table;
    }

    void record(MemitEditor.Repair repair, List<Fact> written) {
      for (MemitEditor.Repair.Round round : repair.rounds()) {
        table = table.withEditReplacing(round.merged(), round.replacedEditIds());
        replaced.addAll(round.replacedEditIds());
        for (Fact f : round.toppedUp()) if (!written.contains(f) && !repaired.contains(f)) repaired.add(f);
      }
    }

    /**
     * Writes {@code displaced} facts again as one top-up edit at full scale, at stage 0. First they leave the edits that
     * held them, whose scales follow the facts those keep (never higher: the facts that stay are at higher stages),
     * so each fact is carried by one edit. If the top-up cannot write all of them, nothing changes.
     */
    boolean writeAgain(ScratchEdits scratch, List<Fact> displaced) {
      EditSet set = scratch.set();
      FactStageTable without = table.without(displaced);
      Map<String, Float> before = set.scales();
      try {
        for (MemitEdit e : set.edits()) if (without.scale(e) != set.scale(e.id())) set.setScale(e.id(), without.scale(e));
        List<Fact> preserve = new ArrayList<>(without.facts());
        EditResult topUp = scratch.editor().compute(displaced, preserve, null);
        if (topUp.edit() == null || !topUp.skipped().isEmpty()) {
          restoreScales(set, before);
          return false;
        }
        set.apply(topUp.edit(), 1f);
        table = without.withEdit(topUp.edit());
        return true;
      } catch (IllegalStateException e) { // an ill-conditioned solve or non-finite weights: the facts stay as they are
        restoreScales(set, before);
        return false;
      }
    }

    private static void restoreScales(EditSet set, Map<String, Float> scales) {
      scales.forEach((id, s) -> {
        if (set.scale(id) != s) set.setScale(id, s);
      });
    }
  }

  /** Facts the table holds below full scale: consolidating, or consolidated with their edit dissolved. */
  private static List<Fact> belowFullScale(FactStageTable table) {
    return table.entries().stream().filter(e -> e.stage() != FactStage.WAKE).map(FactStageTable.Entry::fact).toList();
  }

  /** Facts the table holds that no edit of {@code set} carries at a non-zero scale: the fused weights hold them. */
  private static List<Fact> heldOutsideActiveEdits(FactStageTable table, EditSet set) {
    Set<Fact> active = new LinkedHashSet<>(set.activeFacts());
    return table.facts().stream().filter(f -> !active.contains(f)).toList();
  }

  /** The facts whose object is the greedy continuation of their prompt (margin above 0, as the repair judges). */
  private static List<Fact> stated(RecallProbe probe, List<Fact> facts) {
    return byMargin(probe, facts, true);
  }

  /** The facts whose object is not the greedy continuation of their prompt. */
  private static List<Fact> unstated(RecallProbe probe, List<Fact> facts) {
    return byMargin(probe, facts, false);
  }

  private static List<Fact> byMargin(RecallProbe probe, List<Fact> facts, boolean stated) {
    if (facts.isEmpty()) return List.of();
    double[] margins = probe.margins(facts);
    List<Fact> out = new ArrayList<>();
    for (int i = 0; i < facts.size(); i++) if (margins[i] > 0 == stated) out.add(facts.get(i));
    return out;
  }
}
