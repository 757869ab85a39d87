package io.somnus.engine.memory;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.ForwardResult;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.runtime.ModelRuntime;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MEMIT: writes facts into the down_proj weights of a band of layers as one closed-form,
 * regularised least-squares update per layer.
 *
 * <ol>
 *   <li><b>v*</b>: for each fact, residual-stream deltas after the critical layer t* are optimised
 *       (Adam, relative to the residual's scale, with a norm clamp and a KL anchor at the prompt's
 *       last position) so that the model continues the prompt with <em>all</em> object tokens
 *       (the reference trains the first token only). One delta per object position: a delta at
 *       the prompt's last position alone sets the first object token, while later tokens of a
 *       multi-token object are predicted at their own positions.
 *   <li><b>keys</b>: the MLP inner activation (down_proj input) at those positions in every edited
 *       layer. Optional soft constraints: keys of facts to preserve and the new prompts' earlier
 *       positions become zero-target rows (as the reference). Optional hard constraint: the update
 *       is confined to the null space of a {@link NullSpaceProjector} ({@link KeyRegulariser#projected}).
 *   <li><b>spread and solve</b>, bottom layer first as in the MEMIT paper: each layer takes 1/(layers
 *       remaining) of what ρ·δ still lacks at the critical layer, with keys and that shortfall read
 *       through the layers already edited, solved by {@link LayerSolver} in N×N form.
 *   <li><b>check</b>: a fact whose object is still not the greedy continuation is solved again
 *       with a larger ρ, up to {@link MemitConfig#residualBoosts()} times.
 * </ol>
 *
 * <p>{@link #compute} leaves the model as it found it (the band is edited only while a spread
 * reads through it): it returns an edit which {@link EditSet} applies (and checks for finite
 * weights, rolling back otherwise). {@link #write} does both, batch or
 * sequential; {@link #refresh} rewrites degraded edits under a null-space constraint.
 */
public final class MemitEditor {
  private final ModelRuntime rt;
  private final MemitConfig config;
  private final CovarianceStats stats;
  private final Map<Integer, KeyRegulariser> regularisers = new LinkedHashMap<>();
  /** The generic part of null-space projectors (an m×m eigen-decomposition per layer), per threshold. */
  private final Map<Double, NullSpaceProjector> genericProjectors = new LinkedHashMap<>();

  public MemitEditor(ModelRuntime rt, MemitConfig config, CovarianceStats stats) {
    this.rt = rt;
    this.config = config;
    this.stats = stats;
    int last = rt.config().numLayers() - 1;
    for (int l : config.layers()) {
      if (l < 0 || l >= last) throw new IllegalArgumentException("MEMIT layer " + l + " outside 0.." + (last - 1) + " (v* needs a layer above the band)");
      if (config.covariance() != MemitConfig.CovarianceKind.IDENTITY && !stats.layers().contains(l)) {
        throw new IllegalArgumentException("key statistics do not cover MEMIT layer " + l + " (have " + stats.layers() + ")");
      }
    }
  }

  public MemitConfig config() {
    return config;
  }

  public CovarianceStats stats() {
    return stats;
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Computes and applies edits for {@code facts} in the configured mode: one edit (BATCH) or one
   * per fact, each applied before the next is computed (SEQUENTIAL). With {@code preserveActive},
   * every fact already active in {@code set} (and, in sequential mode, those written earlier in
   * this call) is a soft zero-target constraint, and after each edit the facts it displaced are
   * written again ({@link #repair}). An edit that would make weights non-finite is rolled back by
   * the set and its facts are reported as skipped.
   */
  public WriteResult write(EditSet set, List<Fact> facts, boolean preserveActive, NullSpaceProjector projector) {
    return write(set, facts, preserveActive, projector, List.of());
  }

  /**
   * As {@link #write(EditSet, List, boolean, NullSpaceProjector)}, with {@code heldElsewhere} (facts the weights hold
   * outside the set, e.g. consolidated into fused weights) also soft zero-target rows when {@code preserveActive}.
   */
  public WriteResult write(EditSet set, List<Fact> facts, boolean preserveActive, NullSpaceProjector projector,
      List<Fact> heldElsewhere) {
    List<EditResult> out = new ArrayList<>();
    List<Repair> repairs = new ArrayList<>();
    List<List<Fact>> groups = new ArrayList<>();
    if (config.mode() == MemitConfig.EditMode.BATCH) groups.add(facts);
    else for (Fact f : facts) groups.add(List.of(f));
    for (List<Fact> group : groups) {
      List<Fact> preserve = new ArrayList<>();
      if (preserveActive) {
        preserve.addAll(set.activeFacts());
        for (Fact f : heldElsewhere) if (!preserve.contains(f) && !group.contains(f)) preserve.add(f);
      }
      EditResult r = compute(group, preserve, projector);
      EditResult applied = applyOrSkip(set, r);
      out.add(applied);
      if (preserveActive) repairs.add(repair(set));
    }
    return new WriteResult(out, repairs);
  }

  /** What {@link #write} did: one result per edit of the new facts and, with preservation, the repair after each. */
  public record WriteResult(List<EditResult> edits, List<Repair> repairs) {
    public WriteResult {
      edits = List.copyOf(edits);
      repairs = List.copyOf(repairs);
    }

    /** The new facts written (repairs rewrite facts already in the set). */
    public List<Fact> written() {
      List<Fact> out = new ArrayList<>();
      for (EditResult r : edits) out.addAll(r.written());
      return out;
    }
  }

  private static EditResult applyOrSkip(EditSet set, EditResult r) {
    if (r.edit() == null) return r;
    try {
      set.apply(r.edit(), 1f);
      return r;
    } catch (EditSet.NonFiniteEditException e) {
      List<EditResult.SkippedFact> skipped = new ArrayList<>(r.skipped());
      for (Fact f : r.edit().facts()) skipped.add(new EditResult.SkippedFact(f, "rolled back: " + e.getMessage()));
      return new EditResult(null, skipped, r.vStarSeconds(), r.solveSeconds(), List.of(), List.of());
    }
  }

  /** What {@link #repair} did, round by round, and the full-scale facts the model still does not state. */
  public record Repair(List<Round> rounds, List<Fact> unrecalled) {
    public Repair {
      rounds = List.copyOf(rounds);
      unrecalled = List.copyOf(unrecalled);
    }

    /**
     * One top-up: the facts it wrote again, the edits it replaced, and the merged edit that replaced them.
     *
     * @param vStarSeconds v* time of the top-up
     * @param solveSeconds keys, spread and solves of the top-up
     */
    public record Round(List<Fact> toppedUp, List<String> replacedEditIds, MemitEdit merged, double vStarSeconds,
        double solveSeconds) {
      public Round {
        toppedUp = List.copyOf(toppedUp);
        replacedEditIds = List.copyOf(replacedEditIds);
      }
    }

    /** Facts written again, once per round that did. */
    public List<Fact> rewritten() {
      return rounds.stream().flatMap(r -> r.toppedUp().stream()).toList();
    }

    public List<String> removedEditIds() {
      return rounds.stream().flatMap(r -> r.replacedEditIds().stream()).toList();
    }
  }

  /**
   * Writes again the facts of full-scale edits that the model no longer states (greedy margin ≤ 0): a top-up edit for
   * them is computed on the current weights, with every other active fact a soft zero-target row, and merged with the
   * edits holding them into one edit that replaces those (its deltas are their sum, so each fact stays in exactly one
   * edit). A top-up can displace another fact with a similar key (the same relation ends every such prompt with the
   * same token), so this repeats, at most {@link MemitConfig#repairRounds()} times.
   *
   * <p>Why: a soft constraint only weighs old facts' keys against the new one, so sequential edits erode facts
   * written earlier; on somnus-tiny, 30 constrained one-fact edits left about 3 of 30 unstated. A top-up on the
   * current weights, rather than removing the old edit and solving it again, keeps what the old edit still does and
   * only adds what is missing (the evaluation's wake-capacity experiment measured both). Edits below full scale are
   * left alone: their facts are being consolidated into LoRA, and writing them again at full scale would undo that;
   * the sleep's audit and null-space {@link #refresh} look after them.
   *
   * <p>A top-up that skips a fact or cannot be applied changes nothing and ends the repair.
   */
  public Repair repair(EditSet set) {
    return repair(set, config.repairRounds());
  }

  /** {@link #repair(EditSet)} with at most {@code maxRounds} top-ups instead of the configured number. */
  public Repair repair(EditSet set, int maxRounds) {
    List<Repair.Round> rounds = new ArrayList<>();
    RecallProbe probe = new RecallProbe(rt);
    List<Fact> lost = unstatedAtFullScale(set, probe);
    for (int round = 0; round < maxRounds && !lost.isEmpty(); round++) {
      Set<Fact> lostSet = new LinkedHashSet<>(lost);
      List<MemitEdit> holding = new ArrayList<>();
      for (MemitEdit e : set.edits()) if (set.scale(e.id()) == 1f && e.facts().stream().anyMatch(lostSet::contains)) holding.add(e);
      EditResult topUp;
      try {
        topUp = compute(lost, set.activeFacts(), null);
      } catch (IllegalStateException e) {
        break;
      }
      if (topUp.edit() == null || !topUp.skipped().isEmpty()) break;
      Map<String, Float> full = new LinkedHashMap<>();
      for (MemitEdit e : holding) full.put(e.id(), 1f);
      MemitEdit merged = merge(holding, full, topUp.edit());
      for (MemitEdit e : holding) set.remove(e.id());
      try {
        set.apply(merged, 1f);
      } catch (RuntimeException e) {
        for (MemitEdit old : holding) set.apply(old, 1f);
        break;
      }
      rounds.add(new Repair.Round(lost, holding.stream().map(MemitEdit::id).toList(), merged, topUp.vStarSeconds(),
          topUp.solveSeconds()));
      lost = unstatedAtFullScale(set, probe);
    }
    return new Repair(rounds, lost);
  }

  /**
   * One edit, to be applied at full scale, holding every fact of {@code edits} (in order): its deltas are theirs at
   * {@code scales} plus {@code topUp}'s, so it changes the weights exactly as they and the top-up did together.
   */
  private static MemitEdit merge(List<MemitEdit> edits, Map<String, Float> scales, MemitEdit topUp) {
    Set<Fact> facts = new LinkedHashSet<>();
    Map<String, LayerDelta> sum = new LinkedHashMap<>();
    for (MemitEdit e : edits) {
      facts.addAll(e.facts());
      float scale = scales.get(e.id());
      for (LayerDelta d : e.deltas()) sum.merge(d.weightName(), d.scaled(scale), LayerDelta::plus);
    }
    facts.addAll(topUp.facts());
    for (LayerDelta d : topUp.deltas()) sum.merge(d.weightName(), d, LayerDelta::plus);
    List<Fact> ordered = new ArrayList<>(facts);
    List<LayerDelta> deltas = new ArrayList<>(sum.values());
    return new MemitEdit(editId(ordered, deltas), ordered, deltas);
  }

  /** Facts of full-scale edits whose object is not the greedy continuation of their prompt. */
  private static List<Fact> unstatedAtFullScale(EditSet set, RecallProbe probe) {
    List<Fact> facts = new ArrayList<>();
    for (MemitEdit e : set.edits()) if (set.scale(e.id()) == 1f) facts.addAll(e.facts());
    if (facts.isEmpty()) return List.of();
    double[] margins = probe.margins(facts);
    List<Fact> out = new ArrayList<>();
    for (int i = 0; i < facts.size(); i++) if (!(margins[i] > 0)) out.add(facts.get(i));
    return out;
  }

  /** What {@link #refresh} did. */
  public record RefreshResult(List<String> removedEditIds, EditResult rewritten, int freeDimensionsAtCriticalLayer) {}

  /**
   * Restores {@code degraded} facts under a hard constraint: a top-up edit for them is computed on the current weights
   * with keys projected into the null space of (a) every other active fact's keys and (b) the dominant directions of
   * generic reference-text keys, and merged with the edits holding them (each at its current scale) into one edit
   * at full scale that replaces those. The top-up adds only what the degraded facts lack: rewriting them from nothing
   * inside the null space needed more than the covariance regulariser allows at somnus-tiny's λ = 900 (after 16
   * overloaded facts, one refresh took raw recall from 0.65 to 0.66 that way and to 0.90 with the top-up; the
   * evaluation's sleep-convergence experiment, 3 seeds). If
   * the top-up fails (solve error, non-finite weights) nothing has changed and the exception is rethrown.
   * The generic key directions protected are those of {@link MemitConfig#nullSpaceThreshold}.
   */
  public RefreshResult refresh(EditSet set, Collection<Fact> degraded) {
    Set<Fact> bad = new LinkedHashSet<>(degraded);
    List<MemitEdit> affected = new ArrayList<>();
    for (MemitEdit e : set.edits()) if (e.facts().stream().anyMatch(bad::contains)) affected.add(e);
    List<Fact> healthy = new ArrayList<>();
    for (Fact f : set.activeFacts()) if (!bad.contains(f)) healthy.add(f);
    NullSpaceProjector projector = projectorFor(healthy, config.nullSpaceThreshold());
    EditResult topUp = compute(new ArrayList<>(bad), List.of(), projector);
    int free = projector.freeDimensions(config.criticalLayer());
    if (topUp.edit() == null) return new RefreshResult(List.of(), topUp, free);
    Map<String, Float> scales = new LinkedHashMap<>();
    for (MemitEdit e : affected) scales.put(e.id(), set.scale(e.id()));
    MemitEdit merged = merge(affected, scales, topUp.edit());
    for (MemitEdit e : affected) set.remove(e.id());
    try {
      set.apply(merged, 1f);
    } catch (RuntimeException e) {
      for (MemitEdit old : affected) set.apply(old, scales.get(old.id()));
      throw e;
    }
    EditResult r = new EditResult(merged, topUp.skipped(), topUp.vStarSeconds(), topUp.solveSeconds(), topUp.targetProbabilities(),
        topUp.residualScales());
    return new RefreshResult(affected.stream().map(MemitEdit::id).toList(), r, free);
  }

  /**
   * A projector protecting {@code healthy} facts (all their written keys, on the current weights)
   * and the dominant directions of the reference-text keys in the statistics.
   */
  public NullSpaceProjector projectorFor(List<Fact> healthy, double relativeThreshold) {
    NullSpaceProjector generic = genericProjectors.computeIfAbsent(relativeThreshold, thr -> {
      Map<Integer, List<float[]>> keys = new LinkedHashMap<>();
      for (int l : config.layers()) keys.put(l, stats.layers().contains(l) ? stats.keys(l) : List.of());
      return NullSpaceProjector.generic(keys, thr);
    });
    List<long[]> seqs = new ArrayList<>();
    List<Integer> tails = new ArrayList<>();
    for (Fact f : healthy) {
      Encoded e = encode(f);
      if (e.problem != null) continue;
      seqs.add(e.sequence());
      tails.add(e.target.length);
    }
    return generic.withProtected(keys(seqs, tails, true));
  }

  // ---- computing ----------------------------------------------------------------------------

  /** A fact's tokens, or why it cannot be written. */
  private record Encoded(long[] prompt, long[] target, String problem) {
    /** prompt + object minus its last token: the positions whose next token is an object token. */
    long[] sequence() {
      long[] seq = Arrays.copyOf(prompt, prompt.length + target.length - 1);
      System.arraycopy(target, 0, seq, prompt.length, target.length - 1);
      return seq;
    }
  }

  private Encoded encode(Fact f) {
    long[] prompt = rt.tokenizer().encode(f.prompt());
    long[] target = rt.tokenizer().encodeContinuation(f.target());
    String problem = null;
    if (target.length == 0) problem = "object encodes to no tokens";
    else if (prompt.length == 0 || rt.tokenizer().encodeContinuation(f.prompt()).length == 0) problem = "prompt encodes to no tokens";
    else if (prompt.length + target.length > rt.config().maxPositionEmbeddings()) {
      problem = "prompt and object need " + (prompt.length + target.length) + " tokens, the model's context is " + rt.config().maxPositionEmbeddings();
    }
    return new Encoded(prompt, target, problem);
  }

  /**
   * Computes (but does not apply) one edit writing {@code facts} together.
   *
   * @param preserve facts whose current outputs should not change (soft: their keys become
   *     zero-target rows, and so do the new prompts' earlier positions); empty for none
   * @param projector hard constraint on all keys; null for none
   * @throws IllegalStateException when a layer's solve is ill-conditioned (nothing is changed)
   */
  public EditResult compute(List<Fact> facts, List<Fact> preserve, NullSpaceProjector projector) {
    long t0 = System.nanoTime();
    List<EditResult.SkippedFact> skipped = new ArrayList<>();
    List<Fact> written = new ArrayList<>();
    List<Target> targets = new ArrayList<>();
    Set<Fact> seen = new LinkedHashSet<>();
    for (Fact f : facts) {
      if (!seen.add(f)) {
        skipped.add(new EditResult.SkippedFact(f, "duplicate of an earlier fact in the same edit"));
        continue;
      }
      Encoded e = encode(f);
      if (e.problem != null) {
        skipped.add(new EditResult.SkippedFact(f, e.problem));
        continue;
      }
      VStar v = optimiseDelta(e.prompt, e.target);
      if (v.failure != null) {
        skipped.add(new EditResult.SkippedFact(f, v.failure));
        continue;
      }
      if (v.probability < config.minTargetProbability()) {
        skipped.add(new EditResult.SkippedFact(f, String.format(java.util.Locale.ROOT,
            "v* reached only p=%.4f for an object token after %d steps (minimum %.4f): the model cannot produce this object from layer %d",
            v.probability, config.vSteps(), config.minTargetProbability(), config.criticalLayer())));
        continue;
      }
      written.add(f);
      targets.add(new Target(f, e, v));
    }
    long t1 = System.nanoTime();
    if (written.isEmpty()) return new EditResult(null, skipped, (t1 - t0) / 1e9, 0, List.of(), List.of());

    List<long[]> constraintSeqs = new ArrayList<>();
    List<Integer> constraintTails = new ArrayList<>();
    for (Fact p : preserve) {
      if (seen.contains(p)) continue; // rewriting a fact: its old keys are targets, not constraints
      Encoded e = encode(p);
      if (e.problem != null) continue;
      constraintSeqs.add(e.sequence());
      constraintTails.add(e.target.length);
    }
    double[] rho = new double[targets.size()];
    Arrays.fill(rho, config.residualScale());
    List<LayerDelta> deltas;
    for (int attempt = 0; ; attempt++) {
      Spread spread = spread(targets, rho, constraintSeqs, constraintTails, !preserve.isEmpty(), projector);
      deltas = spread.deltas();
      if (spread.unrecalled().isEmpty() || attempt == config.residualBoosts()) break;
      for (int i : spread.unrecalled()) rho[i] *= RESIDUAL_BOOST;
    }
    long t2 = System.nanoTime();
    List<Double> scales = new ArrayList<>();
    for (double r : rho) scales.add(r);
    List<Double> probs = targets.stream().map(x -> x.vstar().probability()).toList();
    return new EditResult(new MemitEdit(editId(written, deltas), written, deltas), skipped, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
        probs, scales);
  }

  /** A fact being written: its tokens and its residual-stream target. */
  private record Target(Fact fact, Encoded encoded, VStar vstar) {}

  /** One pass over the band, and the facts (indices into the targets) whose object is not yet the greedy continuation. */
  private record Spread(List<LayerDelta> deltas, List<Integer> unrecalled) {}

  /** How much a fact's residual grows when the solve fell short of writing it. */
  static final double RESIDUAL_BOOST = 1.5;

  /**
   * MEMIT's spread, bottom layer first: each layer's keys are read with the layers below it already edited, and each
   * layer takes 1/(layers left) of what is still missing at the critical layer, measured by a forward pass, so a
   * shortfall of a lower layer (regularisation, constraints, the upper layers' reaction to it) is made up above it.
   * The reference spreads top layer first from keys read before any change and assumes a lower layer's contribution
   * reaches the critical layer unchanged (spec §4.7); on somnus-tiny that first-order spread needed ρ = 1.5 to write
   * its facts and left +3 % perplexity drift after 30 constrained edits, where this one writes them at ρ = 1.0.
   * The model is left as it was: the layers are edited only for the duration of the pass.
   */
  private Spread spread(List<Target> targets, double[] rho, List<long[]> constraintSeqs, List<Integer> constraintTails,
      boolean constrain, NullSpaceProjector projector) {
    int d = rt.config().hiddenSize();
    List<long[]> seqs = new ArrayList<>();
    List<Integer> tails = new ArrayList<>();
    List<double[]> wanted = new ArrayList<>(); // one row per object token of every fact
    for (int i = 0; i < targets.size(); i++) {
      Target t = targets.get(i);
      seqs.add(t.encoded().sequence());
      tails.add(t.vstar().rows());
      for (int r = 0; r < t.vstar().rows(); r++) {
        double[] row = new double[d];
        for (int j = 0; j < d; j++) row[j] = rho[i] * t.vstar().delta()[r * d + j];
        wanted.add(row);
      }
    }
    List<double[]> before = criticalResiduals(seqs, tails);
    List<LayerDelta> out = new ArrayList<>();
    List<Integer> layers = config.layers();
    try (TemporaryEdits edits = new TemporaryEdits(rt.model())) {
      for (int idx = 0; idx < layers.size(); idx++) {
        int layer = layers.get(idx);
        int remaining = layers.size() - idx;
        List<double[]> now = idx == 0 ? before : criticalResiduals(seqs, tails);
        List<float[]> ks = new ArrayList<>(keys(seqs, tails, true).get(layer));
        if (constrain) {
          ks.addAll(keys(constraintSeqs, constraintTails, true).get(layer));
          // The new prompts' earlier positions too: the subject's own tokens should read as before.
          ks.addAll(keys(seqs, tails, false).get(layer));
        }
        double[][] k = new double[ks.size()][];
        for (int r = 0; r < ks.size(); r++) k[r] = toDouble(ks.get(r));
        double[][] wantedT = new double[d][ks.size()];
        for (int i = 0; i < wanted.size(); i++) {
          for (int j = 0; j < d; j++) wantedT[j][i] = (wanted.get(i)[j] - (now.get(i)[j] - before.get(i)[j])) / remaining;
        }
        KeyRegulariser reg = projector != null ? KeyRegulariser.projected(regulariser(layer), projector, layer) : regulariser(layer);
        LayerDelta delta = LayerSolver.solve(LlamaModel.layerWeight(layer, "mlp.down_proj.weight"), k, wantedT, reg);
        out.add(delta);
        edits.add(delta);
      }
      // A positive margin (every object token the argmax, the earlier ones given) is the greedy continuation
      // starting with the object.
      double[] margins = new RecallProbe(rt).margins(targets.stream().map(Target::fact).toList());
      List<Integer> unrecalled = new ArrayList<>();
      for (int i = 0; i < targets.size(); i++) if (!(margins[i] > 0)) unrecalled.add(i);
      return new Spread(out, unrecalled);
    }
  }

  /** Residual stream after the critical layer at the object positions, one row per object token. */
  private List<double[]> criticalResiduals(List<long[]> seqs, List<Integer> tails) {
    int t = config.criticalLayer();
    int d = rt.config().hiddenSize();
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < seqs.size(); i++) {
      long[] p = seqs.get(i);
      try (NDManager scope = rt.model().manager().newSubManager()) {
        ForwardResult r = rt.model().forward(scope, new long[][] {p}, new ForwardHooks().captureResiduals(t).stopAfter(t), null);
        float[] flat = r.residuals().get(t).toFloatArray();
        for (int pos = p.length - tails.get(i); pos < p.length; pos++) {
          double[] row = new double[d];
          for (int j = 0; j < d; j++) row[j] = flat[pos * d + j];
          out.add(row);
        }
      }
    }
    return out;
  }

  /** Layer deltas added to the live weights for the duration of a computation; closing restores the weights exactly. */
  private static final class TemporaryEdits implements AutoCloseable {
    private final LlamaModel model;
    private final Map<String, NDArray> saved = new LinkedHashMap<>();

    TemporaryEdits(LlamaModel model) {
      this.model = model;
    }

    void add(LayerDelta delta) {
      String name = delta.weightName();
      if (!saved.containsKey(name)) {
        NDArray copy = model.weight(name).duplicate();
        copy.detach();
        saved.put(name, copy);
      }
      try (NDManager tmp = model.manager().newSubManager()) {
        NDArray u = tmp.create(delta.u(), new Shape(delta.rows(), delta.rank()));
        NDArray v = tmp.create(delta.v(), new Shape(delta.cols(), delta.rank()));
        model.addToWeight(name, u.matMul(v.transpose()));
      }
    }

    @Override
    public void close() {
      for (Map.Entry<String, NDArray> e : saved.entrySet()) {
        model.setWeight(e.getKey(), e.getValue());
        e.getValue().close();
      }
    }
  }

  private KeyRegulariser regulariser(int layer) {
    return regularisers.computeIfAbsent(layer, l -> KeyRegulariser.of(stats, l, config));
  }

  private static double[] toDouble(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) d[i] = a[i];
    return d;
  }

  /** Residual deltas for the object positions (row-major [rows × d]), or why there are none. */
  private record VStar(float[] delta, int rows, double probability, String failure) {}

  /** -Dsomnus.memit.trace=true prints the v* optimisation step by step (diagnostics only). */
  private static final boolean TRACE = Boolean.getBoolean("somnus.memit.trace");

  private static String norms(float[] cur, int rows, int d) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      double n = 0;
      for (int j = i * d; j < (i + 1) * d; j++) n += cur[j] * cur[j];
      sb.append(String.format("%.1f ", Math.sqrt(n)));
    }
    return sb.toString().strip();
  }

  private VStar optimiseDelta(long[] prompt, long[] target) {
    LlamaModel model = rt.model();
    int t = config.criticalLayer();
    int q = prompt.length - 1;
    int rows = target.length;
    long[] seq = new long[prompt.length + target.length - 1];
    System.arraycopy(prompt, 0, seq, 0, prompt.length);
    System.arraycopy(target, 0, seq, prompt.length, target.length - 1);
    int len = seq.length;
    int d = rt.config().hiddenSize();
    try (NDManager scope = model.manager().newSubManager()) {
      ForwardResult base = model.forward(scope, new long[][] {seq}, new ForwardHooks().captureResiduals(t), null);
      NDArray h = base.residuals().get(t);
      NDArray baseLogProbs = base.logits().get(new NDIndex(0, q)).logSoftmax(-1);
      NDArray baseProbs = baseLogProbs.exp();
      float[] hNorms = new float[rows];
      for (int i = 0; i < rows; i++) hNorms[i] = h.get(new NDIndex(0, q + i)).norm().getFloat();
      if (TRACE) System.err.println("v* residual norms " + Arrays.toString(hNorms) + " target " + Arrays.toString(target));
      for (float n : hNorms) if (!Float.isFinite(n)) return new VStar(null, rows, 0, "residual stream is not finite before v* (model weights?)");
      float[] select = new float[len * rows];
      for (int i = 0; i < rows; i++) select[(q + i) * rows + i] = 1f;
      NDArray placement = scope.create(select, new Shape(len, rows));
      long[] targetIdx = new long[rows];
      for (int i = 0; i < rows; i++) targetIdx[i] = target[i];
      NDArray idx = scope.create(targetIdx, new Shape(rows, 1));
      float[] cur = new float[rows * d];
      float[] mom = new float[rows * d];
      float[] vel = new float[rows * d];
      double prob = 0;
      for (int step = 1; step <= config.vSteps(); step++) {
        float[] grad;
        try (NDManager s = scope.newSubManager(); GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray delta = s.create(cur, new Shape(rows, d));
          delta.setRequiresGradient(true);
          NDArray add = placement.matMul(delta).reshape(1, len, d);
          ForwardResult r = model.forwardFrom(s, t + 1, h.add(add), new ForwardHooks());
          NDArray logp = r.logits().get(new NDIndex(0)).logSoftmax(-1); // [len, V]
          NDArray picked = logp.get(new NDIndex(q + ":")).gather(idx, -1); // [rows, 1]
          NDArray nll = picked.mean().neg();
          NDArray kl = baseProbs.mul(baseLogProbs.sub(logp.get(new NDIndex(q)))).sum();
          NDArray loss = nll.add(kl.mul(config.klWeight()));
          float lossValue = loss.getFloat();
          if (!Float.isFinite(lossValue)) return new VStar(null, rows, prob, "v* loss became non-finite at step " + step);
          prob = Math.exp(picked.min().getFloat());
          if (TRACE) System.err.printf("v* step %d loss %.4f kl %.4f probs %s |δ| %s%n", step, lossValue, kl.getFloat(),
              Arrays.toString(picked.exp().toFloatArray()), norms(cur, rows, d));
          if (prob >= config.earlyStopProbability()) break;
          gc.backward(loss);
          try (NDArray g = delta.getGradient()) {
            grad = g.toFloatArray();
          }
        }
        for (float g : grad) if (!Float.isFinite(g)) return new VStar(null, rows, prob, "v* gradient became non-finite at step " + step);
        // Adam on the host: a few vectors, cheaper than engine ops and nothing to leak.
        double b1 = 1 - Math.pow(0.9, step);
        double b2 = 1 - Math.pow(0.999, step);
        for (int i = 0; i < rows; i++) {
          // The step is relative to the residual's scale: RMSNorm divides δ by ‖h‖, so a fixed
          // absolute learning rate would crawl on models with large residual norms.
          double lr = config.vLr() * hNorms[i] / Math.sqrt(d);
          double norm = 0;
          for (int j = i * d; j < (i + 1) * d; j++) {
            mom[j] = 0.9f * mom[j] + 0.1f * grad[j];
            vel[j] = 0.999f * vel[j] + 0.001f * grad[j] * grad[j];
            cur[j] -= (float) (lr * (mom[j] / b1) / (Math.sqrt(vel[j] / b2) + 1e-8));
            norm += cur[j] * cur[j];
          }
          double max = config.normClamp() * hNorms[i];
          norm = Math.sqrt(norm);
          if (norm > max) for (int j = i * d; j < (i + 1) * d; j++) cur[j] *= (float) (max / norm);
        }
      }
      for (float x : cur) if (!Float.isFinite(x)) return new VStar(null, rows, prob, "v* became non-finite");
      return new VStar(cur, rows, prob, null);
    }
  }

  /**
   * Keys per edited layer: with {@code tail}, at the last {@code tails[i]} positions of each
   * sequence; otherwise at the positions before those (excluding the beginning marker at 0, which
   * reads the same in every prompt).
   */
  Map<Integer, List<float[]>> keys(List<long[]> seqs, List<Integer> tails, boolean tail) {
    int[] ls = config.layers().stream().mapToInt(Integer::intValue).toArray();
    int m = rt.config().intermediateSize();
    Map<Integer, List<float[]>> out = new LinkedHashMap<>();
    for (int l : ls) out.put(l, new ArrayList<>());
    for (int i = 0; i < seqs.size(); i++) {
      long[] p = seqs.get(i);
      int from = tail ? p.length - tails.get(i) : 1;
      int to = tail ? p.length : p.length - tails.get(i);
      if (from >= to) continue;
      try (NDManager scope = rt.model().manager().newSubManager()) {
        ForwardResult r = rt.model().forward(scope, new long[][] {p}, new ForwardHooks().captureMlpKeys(ls).stopAfter(ls[ls.length - 1]), null);
        for (int l : ls) {
          float[] flat = r.mlpKeys().get(l).toFloatArray();
          for (int pos = from; pos < to; pos++) out.get(l).add(Arrays.copyOfRange(flat, pos * m, (pos + 1) * m));
        }
      }
    }
    return out;
  }

  /** Keys a fact's edit writes (its object positions), per layer, on the current weights. */
  public Map<Integer, List<float[]>> factKeys(List<Fact> facts) {
    List<long[]> seqs = new ArrayList<>();
    List<Integer> tails = new ArrayList<>();
    for (Fact f : facts) {
      Encoded e = encode(f);
      if (e.problem != null) throw new IllegalArgumentException("fact " + f.id() + ": " + e.problem);
      seqs.add(e.sequence());
      tails.add(e.target.length);
    }
    return keys(seqs, tails, true);
  }

  /** Content hash of the facts and the deltas: the same edit computed twice has the same id. */
  private static String editId(List<Fact> facts, List<LayerDelta> deltas) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Fact f : facts) md.update(f.id().getBytes(StandardCharsets.UTF_8));
      for (LayerDelta dl : deltas) {
        md.update(dl.weightName().getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(4 * (dl.u().length + dl.v().length));
        for (float x : dl.u()) b.putFloat(x);
        for (float x : dl.v()) b.putFloat(x);
        md.update(b.array());
      }
      return "edit-" + HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
