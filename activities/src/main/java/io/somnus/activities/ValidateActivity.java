package io.somnus.activities;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;
import java.util.Map;

/**
 * Step 7: per-fact gating and the integrity check. Each fact is probed on the candidate with its own
 * MEMIT edit switched off; recalled facts advance one stage, failed ones step back one; edit scales
 * follow their least consolidated fact. The gated candidate is approved only if reference perplexity
 * and overall recall stay within the thresholds; otherwise live stays as it is.
 */
@ActivityInterface
public interface ValidateActivity {
  /**
   * @param maxPerplexityIncrease relative increase allowed, e.g. 0.15
   * @param maxRecallDrop absolute drop in mean recall (with MEMIT at the new scales) allowed
   */
  record Thresholds(double maxPerplexityIncrease, double maxRecallDrop) {
    public static Thresholds defaults() {
      return new Thresholds(0.15, 0.05);
    }
  }

  /** @param attempt which of the sleep's candidates this is, as in {@link TrainLoraActivity.Input} */
  record Input(String runId, String liveVersionId, String candidateVersionId, List<String> factIds, Thresholds thresholds,
      int attempt) {
    public Input {
      factIds = List.copyOf(factIds);
    }
  }

  /**
   * @param gatedVersionId the candidate with the new edit scales (the version to promote if approved)
   * @param reasons why it was rejected; empty when approved
   * @param facts every fact of the gated version with its new stage and measured recall
   * @param limits the bounds the worker judged the candidate by besides the request's {@link Thresholds} (its
   *     deployment's validation settings), named as tracking parameters; empty in histories recorded before it
   * @param keptScaleEditIds edits the gate left at their scale because the new one would lose an answer (a raw
   *     completion of any fact under an edit, or a chat answer the edit still carries): their facts hold their stage
   *     for that reason, not for failing their own probe; empty in histories recorded before it
   */
  record Result(boolean approved, String gatedVersionId, double recallBefore, double recallAfter,
      double perplexityBefore, double perplexityAfter, int advanced, int retreated, List<String> reasons,
      List<FactState> facts, Map<String, String> limits, List<String> keptScaleEditIds, Knowledge knowledge) {
    public Result {
      reasons = List.copyOf(reasons);
      facts = List.copyOf(facts);
      limits = limits == null ? Map.of() : Map.copyOf(limits);
      keptScaleEditIds = keptScaleEditIds == null ? List.of() : List.copyOf(keptScaleEditIds);
    }

    /** Recorded before the knowledge guard: none. */
    public Result(boolean approved, String gatedVersionId, double recallBefore, double recallAfter, double perplexityBefore,
        double perplexityAfter, int advanced, int retreated, List<String> reasons, List<FactState> facts,
        Map<String, String> limits, List<String> keptScaleEditIds) {
      this(approved, gatedVersionId, recallBefore, recallAfter, perplexityBefore, perplexityAfter, advanced, retreated, reasons,
          facts, limits, keptScaleEditIds, null);
    }
  }

  /**
   * The knowledge guard's figures: chat recall of the held-out known facts on the base model, the live model and the
   * candidate, on the candidate's fused weights without its MEMIT edits ({@code consolidated}, what the lifetime bound
   * judges), and the facts the candidate lost against live (as sentences); null in histories recorded before it.
   */
  record Knowledge(double base, double live, double candidate, Double consolidated, List<String> lost) {
    public Knowledge {
      lost = lost == null ? List.of() : List.copyOf(lost);
    }
  }

  @ActivityMethod(name = "Validate")
  Result validate(Input input);
}
