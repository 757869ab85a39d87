package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.MemitEditor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One wake turn's MEMIT write on a memory state, the way the product writes: one edit for the turn's facts with every
 * fact already in memory as a soft preservation row, then the repair ({@link MemitEditor#repair}), which tops up the
 * full-scale facts the edit displaced and merges the top-up with the edits holding them. It works on a scratch copy of
 * the state's fused weights with the state's edits reapplied at their scales, so whatever model serves the state is
 * not touched ({@link ScratchEdits}); the caller decides whether the {@link Result#state new state} goes live.
 *
 * <p>Soft preservation plus repair is what the evaluation's wake-capacity experiment
 * measures; an AlphaEdit null-space projection on top of it wrote fewer facts there (0.856 against 0.889 recall at 30
 * facts) and drifted more.
 */
public final class WakeWrite {
  private WakeWrite() {}

  /**
   * @param state the memory state after the write: same fused checkpoint and generation, the merged edits replacing the
   *     ones they took over (a fact keeps its stage under the edit that took it over), the new facts at stage 0
   * @param edit the edit holding the first written fact (after any merge), null when nothing was written
   * @param written facts of the turn now written
   * @param repaired earlier facts the new edit displaced and the repair wrote again
   * @param replacedEditIds ids of the state's edits the repair merged into others
   * @param skipped sentence → why MEMIT could not write it
   */
  public record Result(MemoryState state, MemitEdit edit, List<Fact> written, List<Fact> repaired, Set<String> replacedEditIds,
      Map<String, String> skipped) {
    public Result {
      written = List.copyOf(written);
      repaired = List.copyOf(repaired);
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
    FactStageTable table = state.stages();
    Map<String, String> skipped = new LinkedHashMap<>();
    Set<String> replaced = new LinkedHashSet<>();
    List<Fact> repaired = new ArrayList<>();
    try (ScratchEdits scratch = new ScratchEdits(state, statsTexts, statsCache, device)) {
      EditSet set = scratch.set();
      MemitEditor.WriteResult w = scratch.editor().write(set, facts, true, null);
      for (EditResult r : w.edits()) {
        for (EditResult.SkippedFact s : r.skipped()) skipped.put(s.fact().sentence(), s.reason());
        if (r.edit() != null) table = table.withEdit(r.edit());
      }
      List<Fact> written = w.written();
      if (written.isEmpty()) return new Result(state, null, List.of(), List.of(), Set.of(), skipped);
      for (MemitEditor.Repair repair : w.repairs()) {
        for (MemitEditor.Repair.Round round : repair.rounds()) {
          table = table.withEditReplacing(round.merged(), round.replacedEditIds());
          replaced.addAll(round.replacedEditIds());
          for (Fact f : round.toppedUp()) if (!written.contains(f) && !repaired.contains(f)) repaired.add(f);
        }
      }
      List<MemitEdit> edits = set.edits();
      MemitEdit edit = edits.stream().filter(e -> e.facts().contains(written.get(0))).findFirst().orElseThrow();
      return new Result(new MemoryState(state.fusedCheckpoint(), state.generation(), edits, table), edit, written, repaired,
          replaced, skipped);
    }
  }
}
