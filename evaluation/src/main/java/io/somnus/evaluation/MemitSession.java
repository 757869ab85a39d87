package io.somnus.evaluation;

import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;

/**
 * MEMIT itself on one loaded model, for the experiments that study the editor rather than the product's wake (capacity,
 * drift, retrieval, edit timings) and for choosing which candidate facts MEMIT can write at all: the key statistics
 * (cached on disk by the engine), the editor and the set of active edits. Writing time is accumulated so experiments
 * can report seconds per fact. The product's wake ({@code WakeMemory}) writes the facts the sleeps consolidate.
 */
final class MemitSession implements AutoCloseable {
  private final ModelRuntime rt;
  private final MemitEditor editor;
  private final EditSet set;
  private double vStarSeconds;
  private double solveSeconds;
  private int written;
  private int skipped;
  private int boosted;
  private int rewritten;

  MemitSession(ModelRuntime rt, List<String> referenceTexts, MemitConfig config) {
    this.rt = rt;
    CovarianceStats stats = CovarianceStats.loadOrCollect(rt.model(), rt.tokenizer(), config.layers(), referenceTexts,
        Runtimes.somnusHome().resolve("cache"));
    this.editor = new MemitEditor(rt, config, stats);
    this.set = new EditSet(rt.model());
  }

  /**
   * Writes {@code facts} in the editor's mode; with {@code constrained} every fact already active is
   * a preservation constraint. Returns the facts actually written.
   */
  List<Fact> write(List<Fact> facts, boolean constrained) {
    MemitEditor.WriteResult w = editor.write(set, facts, constrained, null);
    for (EditResult r : w.edits()) {
      vStarSeconds += r.vStarSeconds();
      solveSeconds += r.solveSeconds();
      skipped += r.skipped().size();
      boosted += boostedIn(r);
    }
    for (MemitEditor.Repair repair : w.repairs()) {
      for (MemitEditor.Repair.Round r : repair.rounds()) {
        vStarSeconds += r.vStarSeconds();
        solveSeconds += r.solveSeconds();
      }
      rewritten += repair.rewritten().size();
    }
    List<Fact> out = w.written();
    written += out.size();
    return out;
  }

  /** One batch edit of {@code facts}, computed on the current weights but not applied; null if none was written. */
  io.somnus.engine.memory.MemitEdit compute(List<Fact> facts) {
    EditResult r = editor.compute(facts, List.of(), null);
    vStarSeconds += r.vStarSeconds();
    solveSeconds += r.solveSeconds();
    written += r.written().size();
    skipped += r.skipped().size();
    boosted += boostedIn(r);
    return r.edit();
  }

  private int boostedIn(EditResult r) {
    double rho = editor.config().residualScale();
    return (int) r.residualScales().stream().filter(x -> x > rho).count();
  }

  /** Facts written again by the editor's repairs so far (a fact rewritten twice counts twice). */
  int rewritten() {
    return rewritten;
  }

  /** Facts written so far that needed a larger residual than the configured ρ (see MemitConfig#residualBoosts). */
  int boosted() {
    return boosted;
  }

  MemitEditor editor() {
    return editor;
  }

  EditSet edits() {
    return set;
  }

  ModelRuntime runtime() {
    return rt;
  }

  double secondsPerFact() {
    return written == 0 ? Double.NaN : (vStarSeconds + solveSeconds) / written;
  }

  /** Seconds spent so far optimising v* in all edits this session computed. */
  double vStarSeconds() {
    return vStarSeconds;
  }

  /** Seconds spent so far on keys, spread, solves and residual boosts in all edits this session computed. */
  double solveSeconds() {
    return solveSeconds;
  }

  int skipped() {
    return skipped;
  }

  @Override
  public void close() {
    set.close();
  }
}
