package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Output of one forward pass; every array belongs to the manager the caller passed in.
 *
 * @param logits [B,T,V] ([B,1,V] with {@link ForwardHooks#lastPositionLogits}), or null when the pass stopped before the last layer
 */
public record ForwardResult(NDArray logits, Map<Integer, NDArray> mlpKeys, Map<Integer, NDArray> mlpInputs,
    Map<Integer, NDArray> mlpOutputs, Map<Integer, NDArray> residuals) {}
