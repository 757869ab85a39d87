package io.somnus.engine.sleep;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.somnus.engine.model.ForwardHooks;
import io.somnus.engine.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a teacher model predicts at every answer position of a rehearsal example: its {@code k} likeliest next tokens
 * and their log-probabilities. Training towards them (a KL term) keeps the student's whole answer distribution where
 * the teacher had it, not only its top answer: a sleep that only keeps each rehearsed answer first lets the rest of
 * the distribution drift, and the next sleep finds another answer first.
 *
 * @param positions the batch positions (index t predicts token t+1) these targets are for, in order
 * @param ids [positions][k] token ids
 * @param logProbs [positions][k] the teacher's log-probabilities of those tokens
 */
public record SoftTargets(int[] positions, long[][] ids, float[][] logProbs) {
  public SoftTargets {
    if (positions.length != ids.length || ids.length != logProbs.length) throw new IllegalArgumentException("ragged soft targets");
  }

  /** The teacher's top-{@code k} at every answer position of each example; the model is only read. */
  public static List<SoftTargets> of(LlamaModel teacher, List<QaExample> examples, int k) {
    List<SoftTargets> out = new ArrayList<>(examples.size());
    for (QaExample e : examples) {
      long[] tokens = e.tokens();
      long[][] input = {Arrays.copyOf(tokens, tokens.length - 1)};
      int first = e.answerStart() - 1;
      int n = tokens.length - 1 - first;
      try (NDManager scope = teacher.manager().newSubManager()) {
        NDArray logp = teacher.forward(scope, input, ForwardHooks.none(), null).logits().logSoftmax(-1); // (1, T, V)
        NDList top = logp.get("0, " + first + ":").topK(k, -1, true, true);
        float[] values = top.get(0).toFloatArray();
        long[] indices = top.get(1).toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        int[] positions = new int[n];
        long[][] ids = new long[n][k];
        float[][] lp = new float[n][k];
        for (int p = 0; p < n; p++) {
          positions[p] = first + p;
          System.arraycopy(indices, p * k, ids[p], 0, k);
          System.arraycopy(values, p * k, lp[p], 0, k);
        }
        out.add(new SoftTargets(positions, ids, lp));
      }
    }
    return out;
  }

  /**
   * KL(teacher ‖ student) over the teacher's top-k at the targets' positions, per example the mean over its positions,
   * then the mean over the rows that have targets: the student's log-probabilities are gathered from {@code logp}.
   *
   * @param logp (B, T, V) the student's log-probabilities
   * @param rows per batch row, its targets or null (no distillation for that row)
   */
  static NDArray divergence(NDManager m, NDArray logp, List<SoftTargets> rows) {
    int b = rows.size();
    int t = (int) logp.getShape().get(1);
    int k = rows.stream().filter(r -> r != null).findFirst().map(r -> r.ids()[0].length).orElseThrow();
    long[] idx = new long[b * t * k];
    float[] teacherP = new float[b * t * k];
    float[] teacherLogP = new float[b * t * k];
    int counted = 0;
    for (int r = 0; r < b; r++) {
      SoftTargets s = rows.get(r);
      if (s == null) continue;
      counted++;
      float perPosition = 1f / s.positions().length;
      for (int p = 0; p < s.positions().length; p++) {
        int at = (r * t + s.positions()[p]) * k;
        for (int j = 0; j < k; j++) {
          idx[at + j] = s.ids()[p][j];
          teacherLogP[at + j] = s.logProbs()[p][j];
          teacherP[at + j] = (float) Math.exp(s.logProbs()[p][j]) * perPosition;
        }
      }
    }
    if (counted == 0) return m.create(0f);
    NDArray studentLogP = logp.gather(m.create(idx, new Shape(b, t, k)), -1);
    NDArray teacherLog = m.create(teacherLogP, new Shape(b, t, k));
    NDArray weight = m.create(teacherP, new Shape(b, t, k));
    // Divided by a tensor of m, not a Number: DJL frees a Number operand right after the op (see LanguageModelLoss).
    return teacherLog.sub(studentLogP).mul(weight).sum().div(m.create((float) counted));
  }
}
