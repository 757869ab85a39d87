package io.somnus.engine.consolidation;

import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.HostTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuse-to-temp: merges trained adapters into a copy of a model's weights, {@code W' = W + scale·(down·up)ᵀ},
 * and writes the result as a candidate checkpoint. The source (the live model's fused checkpoint)
 * is only read, so a rejected candidate costs nothing but its folder. Fusing is cumulative: the
 * next sleep fuses on top of the candidate this one promoted.
 *
 * <p>The source must be the fused weights without MEMIT edits (checkpoints never contain them;
 * edits are re-applied at their current scales on load), otherwise an edit would be baked in and
 * could no longer be scaled down.
 */
public final class Fuse {
  private Fuse() {}

  /**
   * The weights with every adapter merged. Tensors that no adapter touches are shared with
   * {@code base}; touched ones are fresh copies, so {@code base} is never modified.
   *
   * @throws IllegalArgumentException an adapter names a missing weight or does not fit its shape
   * @throws NonFiniteWeightsException a merged weight would contain NaN or ∞
   */
  public static Map<String, HostTensor> fuse(Map<String, HostTensor> base, List<TrainedAdapter> adapters) {
    Map<String, HostTensor> out = new LinkedHashMap<>(base);
    for (TrainedAdapter a : adapters) {
      HostTensor w = out.get(a.weightName());
      if (w == null) throw new IllegalArgumentException("adapter targets '" + a.weightName() + "', which the model does not have");
      long[] shape = w.shape();
      if (shape.length != 2 || shape[0] != a.out() || shape[1] != a.in()) {
        throw new IllegalArgumentException("adapter for '" + a.weightName() + "' is " + a.out() + "×" + a.in()
            + " (out×in) but the weight is " + Arrays.toString(shape));
      }
      float[] merged = w.data().clone();
      float[] delta = a.denseDelta();
      for (int i = 0; i < merged.length; i++) {
        merged[i] += delta[i];
        if (!Float.isFinite(merged[i])) {
          throw new NonFiniteWeightsException("fusing the adapter into '" + a.weightName() + "' gives a non-finite value at "
              + "row " + i / a.in() + ", column " + i % a.in() + "; candidate not written");
        }
      }
      out.put(a.weightName(), new HostTensor(w.name(), w.storedAs(), shape, merged));
    }
    return out;
  }

  /**
   * Reads the checkpoint at {@code source}, fuses the adapters and writes the candidate checkpoint
   * (float32, tokenizer files copied from {@code source}) atomically to {@code candidate}.
   */
  public static void toCandidate(Path source, List<TrainedAdapter> adapters, Path candidate) throws IOException {
    if (source.toAbsolutePath().normalize().equals(candidate.toAbsolutePath().normalize())) {
      throw new IllegalArgumentException("the candidate must not overwrite its source " + source);
    }
    Checkpoint.Contents c = Checkpoint.load(source);
    Map<String, HostTensor> fused = fuse(c.tensors(), adapters);
    Checkpoint.save(candidate, c.config(), fused, DType.F32, Long.MAX_VALUE, source);
  }
}
