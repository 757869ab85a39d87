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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MEMIT: writes facts into the down_proj weights of a band of layers as one closed-form,
 * regularised least-squares update per layer.
 *
 * <ol>
 *   <li>v*: for each fact, a residual-stream delta δ at the prompt's last position after the
 *       critical layer is optimised so that the model continues with <em>all</em> object tokens
 *       (the reference optimises only the first), with a KL anchor and a norm clamp.
 *   <li>keys: the MLP inner activation at that position in every edited layer; optional
 *       constraint keys (other prompt positions, facts of edits to preserve) must map to zero.
 *   <li>spread and solve, top layer first: each layer takes its share of ρ·δ; the update is
 *       ΔW = Yᵀ (I + K C⁻¹ Kᵀ / λ)⁻¹ K C⁻¹ / λ, i.e. the minimiser of ‖K ΔWᵀ − Y‖² + λ tr(ΔW C ΔWᵀ)
 *       in its N×N (Woodbury) form, kept factored as U·Vᵀ with U = Yᵀ S⁻¹, V = C⁻¹Kᵀ/λ.
 * </ol>
 *
 * <p>The editor never leaves the model changed: it returns an edit, which {@link EditSet} applies
 * (and checks for finite weights). Only the solve of lower layers needs the upper layers' deltas
 * in place, and those are applied and removed inside {@link #compute}.
 */
public final class MemitEditor {
  private final ModelRuntime rt;
  private final MemitConfig config;
  private final KeyStatistics stats;
  private final Map<Integer, double[][]> regulariserInverse = new LinkedHashMap<>();

  public MemitEditor(ModelRuntime rt, MemitConfig config, KeyStatistics stats) {
    this.rt = rt;
    this.config = config;
    this.stats = stats;
    int last = rt.config().numLayers() - 1;
    for (int l : config.layers()) {
      if (l < 0 || l >= last) throw new IllegalArgumentException("MEMIT layer " + l + " outside 0.." + (last - 1));
    }
  }

  public MemitConfig config() {
    return config;
  }

  /** Why a fact was not written. */
  public record Skipped(Fact fact, String reason) {}

  /**
   * The outcome of one edit computation. {@code edit} is null when every fact was skipped.
   * Timings are wall-clock seconds spent optimising v* and solving, separately.
   */
  public record Result(MemitEdit edit, List<Skipped> skipped, double vStarSeconds, double solveSeconds,
      List<Double> targetProbabilities) {}

  /**
   * Computes (but does not keep applied) one edit writing {@code facts} together.
   *
   * @param preserve facts whose current outputs must not change (their last-token keys become
   *     zero-target constraint rows); empty for an unconstrained edit
   * @param projector optional null-space projector applied to all keys (AlphaEdit-style hard
   *     constraint); null for none
   */
  public Result compute(List<Fact> facts, List<Fact> preserve, NullSpaceProjector projector) {
    long t0 = System.nanoTime();
    List<Skipped> skipped = new ArrayList<>();
    List<Fact> written = new ArrayList<>();
    List<float[]> deltas = new ArrayList<>();
    List<long[]> prompts = new ArrayList<>(); // prompt + object minus its last token
    List<Integer> tails = new ArrayList<>(); // object tokens, i.e. key positions at the end of each sequence
    List<Double> probs = new ArrayList<>();
    for (Fact f : facts) {
      long[] prompt = rt.tokenizer().encode(f.prompt());
      long[] target = rt.tokenizer().encodeContinuation(f.target());
      if (target.length == 0) {
        skipped.add(new Skipped(f, "object encodes to no tokens"));
        continue;
      }
      if (prompt.length + target.length > rt.config().maxPositionEmbeddings()) {
        skipped.add(new Skipped(f, "prompt and object exceed the model's context"));
        continue;
      }
      VStar v = optimiseDelta(prompt, target);
      if (v == null) {
        skipped.add(new Skipped(f, "v* optimisation produced a non-finite value"));
        continue;
      }
      written.add(f);
      for (int r = 0; r < v.rows(); r++) deltas.add(java.util.Arrays.copyOfRange(v.delta(), r * rt.config().hiddenSize(), (r + 1) * rt.config().hiddenSize()));
      long[] seq = java.util.Arrays.copyOf(prompt, prompt.length + target.length - 1);
      System.arraycopy(target, 0, seq, prompt.length, target.length - 1);
      prompts.add(seq);
      tails.add(v.rows());
      probs.add(v.probability());
    }
    long t1 = System.nanoTime();
    if (written.isEmpty()) return new Result(null, skipped, (t1 - t0) / 1e9, 0, probs);

    int d = rt.config().hiddenSize();
    int m = rt.config().intermediateSize();
    int f = deltas.size(); // target rows: one per object token of every written fact
    // Keys of every layer from the unedited weights, as the reference: the top-down order below
    // keeps lower layers' keys valid because an upper layer's edit cannot change them.
    Map<Integer, List<float[]>> targetKeys = keys(prompts, tails, true);
    Map<Integer, List<float[]>> constraintKeys = new LinkedHashMap<>();
    for (int l : config.layers()) constraintKeys.put(l, new ArrayList<>());
    if (!preserve.isEmpty()) {
      List<long[]> pp = new ArrayList<>();
      for (Fact p : preserve) pp.add(rt.tokenizer().encode(p.prompt()));
      keys(pp, java.util.Collections.nCopies(pp.size(), 1), true).forEach((l, ks) -> constraintKeys.get(l).addAll(ks));
      // Earlier positions of the new prompts too: the subject's own tokens should read as before.
      keys(prompts, tails, false).forEach((l, ks) -> constraintKeys.get(l).addAll(ks));
    }
    double[][] residual = new double[f][d];
    for (int i = 0; i < f; i++) for (int j = 0; j < d; j++) residual[i][j] = config.residualScale() * deltas.get(i)[j];

    List<LayerDelta> out = new ArrayList<>();
    List<Integer> layers = config.layers();
    for (int idx = layers.size() - 1; idx >= 0; idx--) {
      int layer = layers.get(idx);
      int remaining = idx + 1;
      List<float[]> ks = new ArrayList<>(targetKeys.get(layer));
      ks.addAll(constraintKeys.get(layer));
      int n = ks.size();
      double[][] k = new double[n][];
      for (int r = 0; r < n; r++) {
        double[] row = new double[m];
        float[] src = ks.get(r);
        for (int c = 0; c < m; c++) row[c] = src[c];
        k[r] = projector == null ? row : projector.project(layer, row);
      }
      double[][] y = new double[d][n]; // Yᵀ, one row per output dimension
      for (int i = 0; i < f; i++) for (int j = 0; j < d; j++) y[j][i] = residual[i][j] / remaining;
      LayerDelta delta = solve(layer, k, y, projector != null);
      out.add(delta);
      if (idx > 0) {
        // Subtract what this layer actually delivers at the target keys (realised, not intended).
        for (int i = 0; i < f; i++) {
          double[] key = k[i];
          double[] vk = new double[delta.rank()];
          for (int r = 0; r < delta.rank(); r++) {
            double s = 0;
            for (int c = 0; c < m; c++) s += delta.v()[c * delta.rank() + r] * key[c];
            vk[r] = s;
          }
          for (int j = 0; j < d; j++) {
            double s = 0;
            for (int r = 0; r < delta.rank(); r++) s += delta.u()[j * delta.rank() + r] * vk[r];
            residual[i][j] -= s;
          }
        }
      }
    }
    long t2 = System.nanoTime();
    java.util.Collections.reverse(out);
    return new Result(new MemitEdit(editId(written, out), written, out), skipped, (t1 - t0) / 1e9, (t2 - t1) / 1e9, probs);
  }

  /** Residual deltas for the object positions q..q+T-1 (row-major [T × d]) and the worst target probability. */
  private record VStar(float[] delta, int rows, double probability) {}

  /**
   * Optimises one residual delta per object position at the critical layer; null if it became
   * non-finite. A single delta at the prompt's last position can only set the object's first
   * token: later tokens of a multi-token object ("Reyk|javik") are predicted at their own
   * positions, which see that delta only through attention. Writing each position's own key
   * makes every object token part of the edit.
   */
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
          prob = Math.exp(picked.min().getFloat());
          if (!Float.isFinite(lossValue)) return null;
          if (prob >= config.earlyStopProbability()) break;
          gc.backward(loss);
          try (NDArray g = delta.getGradient()) {
            grad = g.toFloatArray();
          }
        }
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
        for (float x : cur) if (!Float.isFinite(x)) return null;
      }
      return new VStar(cur, rows, prob);
    }
  }

  /**
   * Keys per edited layer: with {@code tail}, at the last {@code tails[i]} positions of each
   * sequence; otherwise at the positions before those (excluding the beginning marker at 0, which
   * reads the same in every prompt).
   */
  private Map<Integer, List<float[]>> keys(List<long[]> seqs, List<Integer> tails, boolean tail) {
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
          for (int pos = from; pos < to; pos++) out.get(l).add(java.util.Arrays.copyOfRange(flat, pos * m, (pos + 1) * m));
        }
      }
    }
    return out;
  }

  /**
   * ΔW = Yᵀ S⁻¹ K C⁻¹/λ with S = I + K C⁻¹ Kᵀ/λ. With a projector the keys already live in the
   * protected subspace's complement and the regulariser is the identity, so ΔW k = 0 exactly for
   * every preserved key.
   */
  private LayerDelta solve(int layer, double[][] k, double[][] yT, boolean projected) {
    int n = k.length;
    int m = k[0].length;
    int d = yT.length;
    double[][] kc; // rows: C⁻¹k / λ
    if (projected) {
      kc = new double[n][m];
      for (int r = 0; r < n; r++) for (int c = 0; c < m; c++) kc[r][c] = k[r][c] / config.lambda();
    } else if (config.covariance() == MemitConfig.CovarianceKind.DIAGONAL) {
      double[] var = stats.variance(layer);
      kc = new double[n][m];
      for (int r = 0; r < n; r++) for (int c = 0; c < m; c++) kc[r][c] = k[r][c] / (config.lambda() * var[c] + 1e-8);
    } else {
      double[][] inv = regulariserInverse.computeIfAbsent(layer, l -> {
        double[][] c2 = stats.secondMoment(l);
        double[][] reg = new double[m][m];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < m; j++) reg[i][j] = config.lambda() * c2[i][j];
          reg[i][i] += 1e-6;
        }
        double[][] r = HostMatrix.spdInverse(reg);
        if (r == null) throw new IllegalStateException("key second moment of layer " + l + " is not positive definite");
        return r;
      });
      kc = HostMatrix.timesTransposed(k, inv); // rows: (C⁻¹ k)ᵀ since C⁻¹ is symmetric
    }
    double[][] s = HostMatrix.timesTransposed(k, kc);
    for (int i = 0; i < n; i++) s[i][i] += 1;
    double[][] l = HostMatrix.cholesky(s);
    if (l == null) throw new IllegalStateException("MEMIT solve at layer " + layer + " is ill-conditioned (" + n + " keys)");
    double[][] ut = HostMatrix.choleskySolve(l, yT); // each row: S⁻¹ y_j, so U[j] = ut[j]
    float[] u = new float[d * n];
    float[] v = new float[m * n];
    for (int j = 0; j < d; j++) for (int r = 0; r < n; r++) u[j * n + r] = (float) ut[j][r];
    for (int c = 0; c < m; c++) for (int r = 0; r < n; r++) v[c * n + r] = (float) kc[r][c];
    return new LayerDelta(LlamaModel.layerWeight(layer, "mlp.down_proj.weight"), d, m, n, u, v);
  }

  private static String editId(List<Fact> facts, List<LayerDelta> deltas) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Fact f : facts) md.update(f.id().getBytes(StandardCharsets.UTF_8));
      for (LayerDelta dl : deltas) {
        md.update(dl.weightName().getBytes(StandardCharsets.UTF_8));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * Math.min(dl.u().length, 4096));
        for (int i = 0; i < Math.min(dl.u().length, 4096); i++) b.putFloat(dl.u()[i]);
        md.update(b.array());
      }
      return "edit-" + HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
