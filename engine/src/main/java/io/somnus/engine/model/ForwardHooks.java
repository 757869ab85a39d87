package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a forward pass should record or change besides computing logits: the interventions the
 * memory algorithms need. Layers are 0-based. Built with the fluent methods; a hooks object is
 * only read by the forward pass, never modified.
 *
 * <ul>
 *   <li>{@code captureMlpKeys}: the MLP inner activation {@code SiLU(gate x) ⊙ (up x)} ([B,T,m]),
 *       which is the input of {@code down_proj} and the MEMIT key.
 *   <li>{@code captureMlpOutputs}: {@code down_proj} output ([B,T,d]).
 *   <li>{@code captureResiduals}: the residual stream after the layer ([B,T,d]).
 *   <li>{@code addToResidual}: a tensor broadcastable to [B,T,d] added to the residual stream after
 *       the layer (use {@link #positionMask} to target one position); gradients flow into it.
 *   <li>{@code adapters}: low-rank additions keyed by HF weight name.
 *   <li>{@code startAt}: run only layers {@code layer..L-1} on a given residual stream (the state
 *       after layer {@code layer-1}); positions restart at 0.
 *   <li>{@code stopAfter}: run only up to this layer; no logits are computed.
 *   <li>{@code lastPositionLogits}: logits for the last position only ([B,1,V]), what prefill and
 *       generation use; the vocabulary projection is then a vector, not a matrix, per row.
 * </ul>
 */
public final class ForwardHooks {
  final Set<Integer> mlpKeys = new HashSet<>();
  final Set<Integer> mlpInputs = new HashSet<>();
  final Set<Integer> mlpOutputs = new HashSet<>();
  final Set<Integer> residuals = new HashSet<>();
  final Map<Integer, NDArray> residualAdditions = new HashMap<>();
  final Map<String, LowRankAdapter> adapters = new HashMap<>();
  int startLayer = 0;
  NDArray startResidual;
  int stopLayer = Integer.MAX_VALUE;
  boolean lastPositionLogits;

  public static ForwardHooks none() {
    return new ForwardHooks();
  }

  public ForwardHooks captureMlpKeys(int... layers) {
    for (int l : layers) mlpKeys.add(l);
    return this;
  }

  public ForwardHooks captureMlpInputs(int... layers) {
    for (int l : layers) mlpInputs.add(l);
    return this;
  }

  public ForwardHooks captureMlpOutputs(int... layers) {
    for (int l : layers) mlpOutputs.add(l);
    return this;
  }

  public ForwardHooks captureResiduals(int... layers) {
    for (int l : layers) residuals.add(l);
    return this;
  }

  public ForwardHooks addToResidual(int layer, NDArray addition) {
    residualAdditions.merge(layer, addition, NDArray::add);
    return this;
  }

  public ForwardHooks adapter(String weightName, LowRankAdapter adapter) {
    adapters.put(weightName, adapter);
    return this;
  }

  public ForwardHooks adapters(Map<String, LowRankAdapter> all) {
    adapters.putAll(all);
    return this;
  }

  public ForwardHooks startAt(int layer, NDArray residualBefore) {
    this.startLayer = layer;
    this.startResidual = residualBefore;
    return this;
  }

  public ForwardHooks stopAfter(int layer) {
    this.stopLayer = layer;
    return this;
  }

  public ForwardHooks lastPositionLogits() {
    this.lastPositionLogits = true;
    return this;
  }

  /**
   * A [B,T,1] float mask that is 1 at {@code positions[b]} of row b and 0 elsewhere; multiply a [d]
   * or [B,1,d] vector by it to add that vector at one position per row.
   */
  public static NDArray positionMask(ai.djl.ndarray.NDManager manager, int batch, int length, int[] positions) {
    float[] m = new float[batch * length];
    for (int b = 0; b < batch; b++) m[b * length + positions[b]] = 1f;
    return manager.create(m, new ai.djl.ndarray.types.Shape(batch, length, 1));
  }
}
