package io.somnus.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov & Hutter) with bias correction and decoupled weight decay, updating parameters
 * in place. Moments live in the optimizer's own manager so that they survive across steps and can
 * be saved for a resumable run.
 *
 * <p>Updates must run outside a {@code GradientCollector}: PyTorch refuses in-place changes to a
 * leaf that requires gradients while gradient recording is on.
 */
public final class AdamW implements AutoCloseable {
  private final NDManager manager;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long step;

  public AdamW(NDManager parent, float beta1, float beta2, float eps, float weightDecay) {
    this.manager = parent.newSubManager();
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  public static AdamW standard(NDManager parent, float weightDecay) {
    return new AdamW(parent, 0.9f, 0.95f, 1e-8f, weightDecay);
  }

  public long step() {
    return step;
  }

  /**
   * Scales all gradients so that their global L2 norm is at most {@code maxNorm}; returns the norm
   * before clipping (NaN or ∞ when a gradient is not finite, which callers treat as divergence).
   */
  public static double clipGlobalNorm(List<NDArray> params, double maxNorm) {
    double sq = 0;
    for (NDArray p : params) {
      // getGradient() wraps the native gradient in a new handle whose manager is the weight's;
      // squares computed from it would land there and live as long as the model, so the wrapper
      // and everything derived from it go to a scratch manager.
      try (NDManager tmp = p.getManager().newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(tmp);
        sq += g.square().sum().getFloat();
      }
    }
    double norm = Math.sqrt(sq);
    if (maxNorm > 0 && Double.isFinite(norm) && norm > maxNorm) {
      float f = (float) (maxNorm / (norm + 1e-6));
      for (NDArray p : params) {
        try (NDArray g = p.getGradient()) {
          g.muli(f);
        }
      }
    }
    return norm;
  }

  /**
   * One update of every named parameter from its gradient. {@code decay} selects the parameters
   * that get weight decay (norm gains and biases conventionally do not).
   */
  public void update(Map<String, NDArray> params, float lr, java.util.function.Predicate<String> decay) {
    step++;
    float bc1 = (float) (1 - Math.pow(beta1, step));
    float bc2 = (float) (1 - Math.pow(beta2, step));
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray mi = m.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
      NDArray vi = v.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape()));
      // Results of an op live in the manager of its first operand, so every temporary derived from
      // a long-lived array (moment, weight, gradient) is attached to this step's scratch manager.
      try (NDManager tmp = manager.newSubManager()) {
        NDArray g = p.getGradient();
        g.attach(tmp);
        mi.muli(beta1).addi(scratch(tmp, g.mul(1 - beta1)));
        vi.muli(beta2).addi(scratch(tmp, g.square()).muli(1 - beta2));
        NDArray denom = scratch(tmp, scratch(tmp, vi.div(bc2)).sqrt()).addi(eps);
        NDArray update = scratch(tmp, mi.div(bc1)).divi(denom).muli(lr);
        if (decay.test(e.getKey()) && weightDecay > 0) p.muli(1 - lr * weightDecay);
        p.subi(update);
      }
      // Gradients accumulate across backward passes in PyTorch; clear them for the next step.
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  private static NDArray scratch(NDManager tmp, NDArray a) {
    a.attach(tmp);
    return a;
  }

  /** Optimizer state as named arrays (moments prefixed "m." and "v."), for checkpointing. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m." + k, a));
    v.forEach((k, a) -> out.put("v." + k, a));
    return out;
  }

  public void restore(long step, Map<String, float[]> values, Map<String, NDArray> params) {
    this.step = step;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      float[] mv = values.get("m." + e.getKey());
      float[] vv = values.get("v." + e.getKey());
      if (mv == null || vv == null) continue;
      m.put(e.getKey(), manager.create(mv, e.getValue().getShape()));
      v.put(e.getKey(), manager.create(vv, e.getValue().getShape()));
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
