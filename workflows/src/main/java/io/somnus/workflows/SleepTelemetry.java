package io.somnus.workflows;

import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sleep's tracking parameters and metrics, from what its steps returned: pure functions, so the workflow method
 * reads as the process and what a run records is tested on its own.
 */
final class SleepTelemetry {
  private SleepTelemetry() {}

  /** One training attempt: its settings, its adapter and, when refused, why. */
  record Attempt(TrainLoraActivity.Settings lora, TrainLoraActivity.Result trained, String refusedFor) {}

  /**
   * Every knob of the policy that can change what a sleep does, how each attempt trained and why it was refused, and
   * the validating worker's own bounds, so that a run audited in the tracking store alone shows how it was trained and judged.
   *
   * @param validation the last validation, null when the sleep ended before one
   */
  static Map<String, String> params(SleepRequest request, int facts, List<Attempt> attempts, ValidateActivity.Result validation,
      List<String> reasons) {
    Map<String, String> p = policy(request);
    p.put("facts_considered", Integer.toString(facts));
    if (!attempts.isEmpty()) p.put("lora_seed_of_run", Long.toString(attempts.get(0).lora().seed()));
    for (int i = 0; i < attempts.size(); i++) {
      Attempt a = attempts.get(i);
      String key = "attempt_" + (i + 1);
      if (i > 0) p.put(key + "_lora", "lr " + a.lora().learningRate() + ", seed " + a.lora().seed()); // how the retry differs
      if (a.trained() != null) p.put(key + "_adapter", a.trained().adapterKey());
      if (a.refusedFor() != null) p.put(key + "_refused", a.refusedFor());
    }
    if (!reasons.isEmpty()) p.put("reason", String.join("; ", reasons));
    if (validation != null) {
      p.putAll(validation.limits());
      ValidateActivity.Knowledge k = validation.knowledge();
      if (k != null && !k.lost().isEmpty()) p.put("known_facts_lost", String.join(" | ", k.lost()));
      if (!validation.keptScaleEditIds().isEmpty()) p.put("edits_kept_scale", String.join(",", validation.keptScaleEditIds()));
    }
    return p;
  }

  /**
   * Every knob of the request that can change what a sleep does: the parameters its run opens with. The LoRA's shape
   * (rank, alpha, distillation) is the model's own ({@code sleep.json}); TrainLora logs it as it trains.
   */
  static Map<String, String> policy(SleepRequest request) {
    SleepPolicy policy = request.policy();
    TrainLoraActivity.Settings lora = policy.lora();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("model_id", request.modelId());
    p.put("gpu_workers", Boolean.toString(request.gpuWorkers()));
    p.put("max_facts", Integer.toString(policy.maxFacts()));
    p.put("recall_threshold", Double.toString(policy.recallThreshold()));
    p.put("lora_lr", Float.toString(lora.learningRate()));
    p.put("lora_steps_per_fact", Integer.toString(lora.stepsPerFact()));
    p.put("lora_min_steps", Integer.toString(lora.minSteps()));
    p.put("lora_max_steps", lora.maxSteps() == Integer.MAX_VALUE ? "unbounded" : Integer.toString(lora.maxSteps()));
    p.put("lora_seed", Long.toString(lora.seed()));
    p.put("max_perplexity_increase", Double.toString(policy.thresholds().maxPerplexityIncrease()));
    p.put("max_recall_drop", Double.toString(policy.thresholds().maxRecallDrop()));
    p.put("retries_on_refusal", Integer.toString(policy.retriesOnRefusal()));
    return p;
  }

  /**
   * The run's figures. A promoted sleep records the live model's recall before and after; a refused one records its
   * candidate's recall as such, never as "after" (live did not change).
   */
  static Map<String, Double> metrics(SleepOutcome outcome, double perplexityBefore, ValidateActivity.Result validation,
      TrainLoraActivity.Result trained, int attempts, int degraded, int refreshed, int carried) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("ppl_before", perplexityBefore);
    if (validation != null) {
      m.put("recall_before", validation.recallBefore());
      boolean live = outcome == SleepOutcome.PROMOTED;
      m.put(live ? "recall_after" : "candidate_recall", validation.recallAfter());
      m.put(live ? "ppl_after" : "candidate_ppl", validation.perplexityAfter());
      if (live) {
        m.put("facts_advanced", (double) validation.advanced());
        m.put("facts_retreated", (double) validation.retreated());
      }
      m.put("edits_kept_scale", (double) validation.keptScaleEditIds().size());
      ValidateActivity.Knowledge k = validation.knowledge();
      if (k != null) {
        // the knowledge guard: what the sleep cost the rest of what the model knew, against live and the base
        m.put("known_recall_base", k.base());
        m.put("known_recall_before", k.live());
        m.put(live ? "known_recall_after" : "candidate_known_recall", k.candidate());
        if (k.consolidated() != null) m.put(live ? "known_recall_consolidated" : "candidate_known_recall_consolidated", k.consolidated());
        m.put("known_facts_lost", (double) k.lost().size());
      }
    }
    m.put("facts_degraded", (double) degraded);
    m.put("facts_refreshed", (double) refreshed);
    m.put("facts_carried", (double) carried);
    if (trained != null) {
      m.put("lora_steps", (double) trained.steps());
      // Out of budget, training may hand back an earlier check's adapters: the candidate is fused from those.
      if (trained.keptStep() != null) m.put("lora_kept_step", (double) trained.keptStep());
      m.put("lora_loss_first", trained.firstLoss());
      m.put("lora_loss_final", trained.finalLoss());
      m.put("attempts", (double) attempts);
    }
    return m;
  }
}
