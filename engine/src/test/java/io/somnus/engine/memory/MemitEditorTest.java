package io.somnus.engine.memory;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MEMIT on the small somnus-tiny test model (built once, cached): held-out facts it does not know. */
class MemitEditorTest {
  static DjlModelRuntime rt;
  static SyntheticWorld world;
  static CovarianceStats stats;
  static MemitConfig config;
  static RecallProbe probe;

  @BeforeAll
  static void load() {
    rt = DjlModelRuntime.load(SomnusTiny.ensure(SomnusTiny.Variant.TEST), Device.cpu());
    world = SomnusTiny.Variant.TEST.world();
    config = MemitConfig.defaults(rt.config().numLayers());
    stats = CovarianceStats.collect(rt.model(), rt.tokenizer(), config.layers(), world.referenceTexts(30));
    probe = new RecallProbe(rt, 8);
  }

  @AfterAll
  static void close() {
    rt.close();
  }

  static Fact heldOut(int i) {
    return world.heldOutFacts().get(i).fact();
  }

  static String downProj(int layer) {
    return LlamaModel.layerWeight(layer, "mlp.down_proj.weight");
  }

  @Test
  void anEditTeachesAHeldOutFactAndScaleZeroOrRemovalRestoresTheWeightsExactly() {
    Fact fact = heldOut(1);
    assertFalse(probe.rawRecall(fact), "the model must not know a held-out fact before the edit");
    assertTrue(probe.margins(List.of(fact))[0] < 0, "and its margin is negative");
    float[] before = rt.model().weight(downProj(config.criticalLayer())).toFloatArray();
    List<float[]> band = new ArrayList<>();
    for (int l : config.layers()) band.add(rt.model().weight(downProj(l)).toFloatArray());
    EditResult r = new MemitEditor(rt, config, stats).compute(List.of(fact), List.of(), null);
    assertTrue(r.skipped().isEmpty(), r.skipped().toString());
    for (int i = 0; i < band.size(); i++) {
      // The spread edits the band while it reads through it; compute must hand every layer back bit for bit.
      assertArrayEquals(band.get(i), rt.model().weight(downProj(config.layers().get(i))).toFloatArray(), "compute alone changes nothing");
    }
    try (EditSet set = new EditSet(rt.model())) {
      set.apply(r.edit(), 1f);
      assertTrue(probe.rawRecall(fact), "after the edit: " + probe.complete(fact.prompt()));
      assertTrue(probe.margins(List.of(fact))[0] > 0, "greedy continuation is the object, so the margin is positive");
      set.setScale(r.edit().id(), 0f);
      assertArrayEquals(before, rt.model().weight(downProj(config.criticalLayer())).toFloatArray(), "scale 0 is the base, bit for bit");
      set.setScale(r.edit().id(), 0.5f);
      set.setScale(r.edit().id(), 1f);
      assertTrue(probe.rawRecall(fact), "scale 1 again after 0.5");
      set.remove(r.edit().id());
      assertArrayEquals(before, rt.model().weight(downProj(config.criticalLayer())).toFloatArray(), "removal is the base, bit for bit");
    }
  }

  @Test
  void aFactTheSolveFallsShortOfIsSolvedAgainWithALargerResidual() {
    Fact fact = heldOut(1);
    EditResult once = new MemitEditor(rt, config.withResidual(0.25f, 0), stats).compute(List.of(fact), List.of(), null);
    assertEquals(List.of(0.25), once.residualScales());
    EditResult boosted = new MemitEditor(rt, config.withResidual(0.25f, 6), stats).compute(List.of(fact), List.of(), null);
    double rho = boosted.residualScales().get(0);
    assertTrue(rho > 0.25 && rho <= 0.25 * Math.pow(MemitEditor.RESIDUAL_BOOST, 6) + 1e-9, "boosted ρ " + rho);
    try (EditSet set = new EditSet(rt.model())) {
      set.apply(once.edit(), 1f);
      assertFalse(probe.rawRecall(fact), "a quarter of the residual does not write the fact: " + probe.complete(fact.prompt()));
      set.remove(once.edit().id());
      set.apply(boosted.edit(), 1f);
      assertTrue(probe.rawRecall(fact), "the boosted edit does: " + probe.complete(fact.prompt()));
      set.remove(boosted.edit().id());
    }
  }

  @Test
  void batchAndSequentialWritesRecallTheirFacts() {
    List<Fact> facts = new ArrayList<>();
    for (WorldFact wf : world.heldOutFacts().subList(2, 7)) facts.add(wf.fact());
    for (MemitConfig.EditMode mode : MemitConfig.EditMode.values()) {
      MemitEditor editor = new MemitEditor(rt, config.withMode(mode), stats);
      try (EditSet set = new EditSet(rt.model())) {
        MemitEditor.WriteResult results = editor.write(set, facts, true, null);
        assertEquals(mode == MemitConfig.EditMode.BATCH ? 1 : facts.size(), results.edits().size());
        assertEquals(results.written().size(), set.activeFacts().size(), "a repair replaces a fact's edit, never doubles it");
        assertEquals(Set.copyOf(results.written()), Set.copyOf(set.activeFacts()));
        long hits = facts.stream().filter(probe::rawRecall).count();
        assertTrue(hits >= 4, mode + " write of 5 recalled " + hits);
        for (MemitEdit e : set.edits()) set.remove(e.id());
      }
    }
  }

  @Test
  void repairWritesAgainAFullScaleFactAnotherEditUndid() {
    Fact victim = heldOut(9);
    Fact bystander = world.sampleKnown(1, 3).get(0).fact();
    MemitEditor editor = new MemitEditor(rt, config, stats);
    try (EditSet set = new EditSet(rt.model())) {
      MemitEdit written = editor.compute(List.of(victim), List.of(), null).edit();
      set.apply(written, 1f);
      assertTrue(probe.rawRecall(victim));
      // An edit that takes the victim's edit back out, held by a fact the model states anyway.
      List<LayerDelta> undo = new ArrayList<>();
      for (LayerDelta d : written.deltas()) {
        float[] u = d.u().clone();
        for (int i = 0; i < u.length; i++) u[i] = -u[i];
        undo.add(new LayerDelta(d.weightName(), d.rows(), d.cols(), d.rank(), u, d.v()));
      }
      MemitEdit saboteur = new MemitEdit("edit-undo", List.of(bystander), undo);
      set.apply(saboteur, 1f);
      assertFalse(probe.rawRecall(victim), "undone: " + probe.complete(victim.prompt()));
      assertTrue(probe.rawRecall(bystander), "the bystander is stated by the base model");

      MemitEditor.Repair none = new MemitEditor(rt, config.withRepairRounds(0), stats).repair(set);
      assertTrue(none.rounds().isEmpty());
      assertEquals(List.of(victim), none.unrecalled());

      MemitEditor.Repair r = editor.repair(set);
      assertEquals(List.of(written.id()), r.removedEditIds(), "only the edit holding the lost fact is replaced");
      assertEquals(List.of(victim), set.editOf(victim).facts(), "by one edit holding the fact once");
      assertEquals(List.of(victim), r.rewritten());
      assertTrue(r.unrecalled().isEmpty());
      assertTrue(probe.rawRecall(victim), "written again over the saboteur: " + probe.complete(victim.prompt()));
      assertEquals(1f, set.scale(saboteur.id()));
      assertEquals(2, set.edits().size());

      // Edits below full scale belong to consolidation: left alone even when their fact is not stated.
      MemitEdit rewritten = set.editOf(victim);
      set.setScale(rewritten.id(), 0.05f);
      assertFalse(probe.rawRecall(victim));
      MemitEditor.Repair scaled = editor.repair(set);
      assertTrue(scaled.rounds().isEmpty());
      assertEquals(0.05f, set.scale(rewritten.id()));
      for (MemitEdit e : set.edits()) set.remove(e.id());
    }
  }

  @Test
  void refreshUnderTheNullSpaceConstraintRestoresAFactWithoutDisturbingAHealthyOne() {
    Fact healthy = heldOut(11);
    Fact victim = heldOut(9);
    MemitEditor editor = new MemitEditor(rt, config.withMode(MemitConfig.EditMode.SEQUENTIAL), stats);
    try (EditSet set = new EditSet(rt.model())) {
      editor.write(set, List.of(healthy, victim), false, null);
      assertEquals(2, set.edits().size(), "one edit per fact");
      assertTrue(probe.rawRecall(healthy));
      assertTrue(probe.rawRecall(victim));
      // Degrade the victim by hand: its edit at a tiny scale.
      MemitEdit victimEdit = set.editOf(victim);
      set.setScale(victimEdit.id(), 0.05f);
      assertFalse(probe.rawRecall(victim), "degraded");
      double healthyMarginBefore = probe.margins(List.of(healthy))[0];
      MemitEditor.RefreshResult r = editor.refresh(set, List.of(victim));
      assertEquals(List.of(victimEdit.id()), r.removedEditIds());
      assertTrue(probe.rawRecall(victim), "refreshed: " + probe.complete(victim.prompt()));
      assertTrue(probe.rawRecall(healthy), "healthy fact still recalled");
      double healthyMarginAfter = probe.margins(List.of(healthy))[0];
      assertTrue(healthyMarginAfter > 0, "healthy margin " + healthyMarginBefore + " -> " + healthyMarginAfter);
      for (MemitEdit e : set.edits()) set.remove(e.id());
    }
  }

  @Test
  void projectedEditLeavesProtectedKeysOutputsUnchanged() {
    Fact keep = heldOut(9);
    Fact add = heldOut(11);
    MemitEditor editor = new MemitEditor(rt, config, stats);
    NullSpaceProjector p = editor.projectorFor(List.of(keep), 1e-2);
    EditResult r = editor.compute(List.of(add), List.of(), p);
    Map<Integer, List<float[]>> kept = editor.factKeys(List.of(keep));
    for (LayerDelta d : r.edit().deltas()) {
      int layer = Integer.parseInt(d.weightName().split("\\.")[2]);
      for (float[] key : kept.get(layer)) {
        double[] k = new double[key.length];
        for (int i = 0; i < k.length; i++) k[i] = key[i];
        double out = Math.sqrt(HostMatrix.dot(LayerSolver.apply(d, k), LayerSolver.apply(d, k)));
        double frob = 0;
        for (float x : d.dense()) frob += x * x;
        double relative = out / (Math.sqrt(frob) * Math.sqrt(HostMatrix.dot(k, k)));
        assertTrue(relative < 1e-4, "‖ΔW k‖ / (‖ΔW‖‖k‖) = " + relative + " at " + d.weightName());
      }
    }
  }

  @Test
  void badFactsAreSkippedWithAReasonAndNaNDuringVStarChangesNothing() {
    MemitEditor editor = new MemitEditor(rt, config, stats);
    Fact f = heldOut(11);
    EditResult dup = editor.compute(List.of(f, f), List.of(), null);
    assertEquals(1, dup.written().size());
    assertTrue(dup.skipped().get(0).reason().contains("duplicate"));

    // Poison the layer above the band: the v* loss becomes NaN, the fact must be skipped.
    String top = LlamaModel.layerWeight(rt.config().numLayers() - 1, "mlp.up_proj.weight");
    NDArray w = rt.model().weight(top);
    float[] original = w.toFloatArray();
    float[] poisoned = original.clone();
    Arrays.fill(poisoned, Float.NaN);
    try (NDManager m = rt.model().manager().newSubManager()) {
      rt.model().setWeight(top, m.create(poisoned, w.getShape()));
      float[] below = rt.model().weight(downProj(config.criticalLayer())).toFloatArray();
      EditResult r = editor.compute(List.of(heldOut(12)), List.of(), null);
      assertNull(r.edit());
      assertEquals(1, r.skipped().size());
      assertTrue(r.skipped().get(0).reason().contains("non-finite"), r.skipped().get(0).reason());
      assertArrayEquals(below, rt.model().weight(downProj(config.criticalLayer())).toFloatArray());
    } finally {
      try (NDManager m = rt.model().manager().newSubManager()) {
        rt.model().setWeight(top, m.create(original, w.getShape()));
      }
    }
  }
}
