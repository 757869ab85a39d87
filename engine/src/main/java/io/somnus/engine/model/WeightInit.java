package io.somnus.engine.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Deterministic initial weights for a new model: every tensor the config implies, N(0, std) matrices,
 * unit norm gains, and biases that are zero unless {@code randomBiases} (tests that must see them used).
 */
public final class WeightInit {
  private WeightInit() {}

  public static Map<String, HostTensor> random(LlamaConfig config, long seed, double std, boolean randomBiases) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : Checkpoint.expectedShapes(config).entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      if (name.equals(LlamaModel.LM_HEAD) && config.tieWordEmbeddings()) continue;
      boolean bias = name.endsWith(".bias");
      float[] data = new float[(int) HostTensor.numel(shape)];
      if (name.endsWith("norm.weight")) {
        java.util.Arrays.fill(data, 1f);
      } else if (!bias || randomBiases) {
        // Residual-output projections get a depth-scaled std (GPT-2 style) so deep stacks start stable.
        double s = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? std / Math.sqrt(2.0 * config.numLayers()) : std;
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextGaussian() * s);
      }
      out.put(name, new HostTensor(name, config.torchDtype(), shape, data));
    }
    return out;
  }
}
