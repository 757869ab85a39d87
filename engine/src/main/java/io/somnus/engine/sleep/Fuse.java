package io.somnus.engine.sleep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fuse-to-temp: merges adapters into a copy of a model's weights, {@code W' = W + scale·(down·up)ᵀ}
 * in HF [out, in] orientation. The source weights are never modified, so a failed or rejected fuse
 * cannot damage the live model; fusing on top of the previous fused version makes consolidation
 * cumulative across sleeps.
 */
public final class Fuse {
  private Fuse() {}

  /**
   * The merged weights: tensors without an adapter are shared with {@code parent} (host tensors are
   * never written to), adapted ones are fresh arrays.
   *
   * @throws IllegalArgumentException when an adapter targets a weight the parent lacks or its
   *     factors do not match the weight's shape
   * @throws NonFiniteWeightsException when a merged weight is not finite
   */
  public static Map<String, HostTensor> merge(Map<String, HostTensor> parent, TrainedAdapters adapters) {
    Map<String, HostTensor> out = new LinkedHashMap<>(parent);
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      for (String name : adapters.targets()) {
        HostTensor w = parent.get(name);
        if (w == null) throw new IllegalArgumentException("adapter targets " + name + ", which the model does not have");
        long[] shape = w.shape();
        long[] down = adapters.down(name).getShape().getShape();
        long[] up = adapters.up(name).getShape().getShape();
        if (shape.length != 2 || down[0] != shape[1] || up[1] != shape[0]) {
          throw new IllegalArgumentException("adapter for " + name + " has factors " + Arrays.toString(down) + " · "
              + Arrays.toString(up) + ", which do not fit the weight's [out, in] shape " + Arrays.toString(shape));
        }
        try (NDManager tmp = m.newSubManager()) {
          NDArray d = tmp.create(adapters.down(name).toFloatArray(), new ai.djl.ndarray.types.Shape(down));
          NDArray u = tmp.create(adapters.up(name).toFloatArray(), new ai.djl.ndarray.types.Shape(up));
          float[] delta = d.matMul(u).transpose().mul(adapters.scale()).toFloatArray();
          float[] base = w.data();
          float[] merged = new float[base.length];
          long bad = 0;
          for (int i = 0; i < merged.length; i++) {
            merged[i] = base[i] + delta[i];
            if (!Float.isFinite(merged[i])) bad++;
          }
          if (bad > 0) throw new NonFiniteWeightsException(name, bad, "fusing the adapter");
          out.put(name, new HostTensor(name, w.storedAs(), shape, merged));
        }
      }
    }
    return out;
  }

  /**
   * Writes merged weights as a candidate checkpoint (float32, tokenizer files copied from
   * {@code tokenizerSource}); the directory appears complete or not at all.
   */
  public static void saveCandidate(Path dir, LlamaConfig config, Map<String, HostTensor> weights, Path tokenizerSource)
      throws IOException {
    requireFinite(weights);
    Checkpoint.save(dir, config, weights, DType.F32, 2L << 30, tokenizerSource);
  }

  /** @throws NonFiniteWeightsException naming the first weight that holds NaN or ±∞ */
  public static void requireFinite(Map<String, HostTensor> weights) {
    for (HostTensor t : weights.values()) {
      long bad = 0;
      for (float x : t.data()) if (!Float.isFinite(x)) bad++;
      if (bad > 0) throw new NonFiniteWeightsException(t.name(), bad, "building the candidate");
    }
  }
}
