package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import org.junit.jupiter.api.Test;

/**
 * Adapter gradients must not depend on when the garbage collector runs. The forward pass closes its
 * scope before the caller's backward pass; any constant it saved for backward in Java-owned memory
 * (rotary cos/sin were) is then freed by a collection and backward reads garbage: before the fix
 * about one LoRA run in four had ∞/NaN or silently different gradients.
 *
 * <p>Runs on the somnus-tiny TEST build (cached after its first build, shared with the memory
 * tests), the model on which the failure was seen.
 */
class GradientLifetimeTest {
  @Test
  void adapterGradientIsTheSameWhetherOrNotMemoryIsCollectedBeforeBackward() {
    try (DjlModelRuntime rt = DjlModelRuntime.load(SomnusTiny.ensure(SomnusTiny.Variant.TEST))) {
      float[] calm = upGradient(rt, false);
      for (int i = 0; i < 3; i++) {
        float[] stressed = upGradient(rt, true);
        assertArrayEquals(calm, stressed, 0f, "gradient after a collection between forward and backward");
      }
      double sum = 0;
      for (float g : calm) sum += Math.abs(g);
      assertTrue(sum > 0, "the adapter receives a gradient at all");
    }
  }

  private static float[] upGradient(DjlModelRuntime rt, boolean collect) {
    LlamaModel model = rt.model();
    String name = LlamaModel.layerWeight(0, "self_attn.q_proj.weight");
    int d = rt.config().hiddenSize();
    try (NDManager s = model.manager().newSubManager()) {
      NDArray down = s.ones(new Shape(d, 2)).mul(0.05f);
      NDArray up = s.zeros(new Shape(2, d));
      up.setRequiresGradient(true);
      long[] ids = rt.tokenizer().encode("Mara Okafor lives in Lisbon and works as a baker in the old town.");
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray logits = model.forward(s, new long[][] {ids}, ForwardHooks.none().adapter(name, new LowRankAdapter(down, up, 2f)), null).logits();
        NDArray loss = logits.logSoftmax(-1).mean().neg();
        if (collect) {
          // Churn through direct buffers and collect, so that freed native memory gets reused.
          for (int i = 0; i < 50; i++) s.create(new float[4096]).close();
          System.gc();
          System.runFinalization();
          for (int i = 0; i < 50; i++) s.create(new float[4096]).close();
        }
        gc.backward(loss);
      }
      return up.getGradient().toFloatArray();
    }
  }
}
