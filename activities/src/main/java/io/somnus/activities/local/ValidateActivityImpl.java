package io.somnus.activities.local;

import io.somnus.activities.ValidateActivity;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.ConsolidationGate;
import io.somnus.engine.sleep.KnownFacts;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.SleepTraining;
import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.engine.sleep.ValidationReport;
import io.somnus.store.ModelVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 7: the gate moves each fact's stage by what the candidate recalls without its edit; validation then compares
 * the gated candidate with the live model (the audit's measurement) and with the weights before the MEMIT edits. The
 * gated version is registered either way: the run records what was refused.
 */
final class ValidateActivityImpl implements ValidateActivity {
  private final StepServices steps;

  ValidateActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result validate(Input in) {
    return steps.journal.once(in.runId(), StepServices.attemptStep("validate", in.attempt()), Result.class, () -> {
      ModelVersion candVersion = steps.version(in.candidateVersionId());
      MemoryState cand = steps.states.state(candVersion);
      List<Fact> facts = cand.stages().facts();
      MemoryState liveState = steps.states.state(steps.version(in.liveVersionId()));
      Heartbeat.beat("baselines");
      Measurement live = steps.journal.find(in.runId(), AuditActivityImpl.MEASUREMENT, Measurement.class).orElseGet(() -> {
        try (ComposedModel m = liveState.load(steps.settings.device())) {
          return steps.validator.measure(m.runtime(), facts, Heartbeat.of());
        }
      });
      // The live version is the same for every attempt of a sleep: a retry reads the baseline its first attempt measured.
      Measurement beforeEdits = steps.journal.once(in.runId(), "pre-edit-behaviour", Measurement.class, () -> {
        try (ComposedModel m = SleepTraining.withoutEdits(liveState, Checkpoint.load(liveState.fusedCheckpoint()), steps.settings.device())) {
          Heartbeat.beat("behaviour before the edits");
          return steps.validator.measureBehaviour(m.runtime());
        }
      });
      Map<String, Boolean> baseKnown = baseKnowledge(candVersion);
      try (ComposedModel model = cand.load(steps.settings.device())) {
        ConsolidationGate.Result gate = new ConsolidationGate(steps.recall).run(model, cand.stages(), Heartbeat.of());
        Map<String, Boolean> consolidated = baseKnown.isEmpty() ? Map.of() : knownWithoutEdits(model);
        ValidationReport v = steps.validator.validate(live, beforeEdits, baseKnown, consolidated, model.runtime(), facts,
            Heartbeat.of());
        List<String> reasons = new ArrayList<>(v.reasons());
        reasons.addAll(thresholdReasons(v, in.thresholds()));
        Map<String, Double> metrics = Map.of("chat_recall", v.chatRecallAfter(), "raw_recall", v.rawRecallAfter(),
            "perplexity", v.perplexityAfter());
        // A gate that moved no fact leaves the candidate as it is: a second version with the same content would be a twin.
        String gated = gate.table().entries().equals(cand.stages().entries()) ? candVersion.id()
            : steps.states.derive(candVersion, null, candVersion.loraHistory(), cand.edits(), gate.table(), in.runId(), metrics);
        return new Result(v.passed() && reasons.isEmpty(), gated, v.chatRecallBefore(), v.chatRecallAfter(), v.perplexityBefore(),
            v.perplexityAfter(), (int) gate.transition().advanced(), (int) gate.transition().retreated(), reasons,
            FactStates.of(gate.table(), null, gate.passed()), limits(steps.settings.validation()), List.copyOf(gate.keptScale()),
            knowledge(v.known()));
      }
    });
  }

  /**
   * The base model's answers to the knowledge guard's known facts: the root of the candidate's lineage (the imported
   * checkpoint, before any edit or sleep), measured once per base and journaled under it.
   */
  private Map<String, Boolean> baseKnowledge(ModelVersion version) {
    if (steps.settings.probes().knownFacts().isEmpty()) return Map.of();
    ModelVersion base = version;
    while (base.parentId() != null) base = steps.version(base.parentId());
    String baseId = base.id();
    KnownAnswers known = steps.journal.once("base-" + baseId, "known-facts", KnownAnswers.class, () -> {
      Heartbeat.beat("known facts of the base model " + baseId);
      try (ComposedModel m = steps.states.state(baseId).load(steps.settings.device())) {
        return new KnownAnswers(steps.validator.measureKnown(m.runtime(), Heartbeat.of()));
      }
    });
    return known.answers();
  }

  /** The candidate's answers to the known facts with every MEMIT edit off, its gated scales back on afterwards. */
  private Map<String, Boolean> knownWithoutEdits(ComposedModel model) {
    Map<String, Float> gated = new LinkedHashMap<>(model.scales());
    Map<String, Float> off = new LinkedHashMap<>();
    for (String id : gated.keySet()) off.put(id, 0f);
    model.setScales(off);
    try {
      return steps.validator.measureKnown(model.runtime(), Heartbeat.of());
    } finally {
      model.setScales(gated);
    }
  }

  /** The base model's answers to the known facts, as journaled. */
  record KnownAnswers(Map<String, Boolean> answers) {}

  private static Knowledge knowledge(KnownFacts k) {
    if (Double.isNaN(k.live())) return null;
    return new Knowledge(k.base(), k.live(), k.candidate(), k.consolidated(), k.lost().stream().map(f -> f.sentence()).toList());
  }

  /** The request's own bounds, checked besides the worker's validation rule. */
  static List<String> thresholdReasons(ValidationReport v, Thresholds t) {
    List<String> reasons = new ArrayList<>();
    double drift = v.perplexityDrift();
    if (drift > t.maxPerplexityIncrease()) {
      reasons.add(String.format("reference perplexity rose %.1f%% (limit %.1f%%)", 100 * drift, 100 * t.maxPerplexityIncrease()));
    }
    if (v.chatRecallBefore() - v.chatRecallAfter() > t.maxRecallDrop()) {
      reasons.add(String.format("chat recall fell from %.2f to %.2f", v.chatRecallBefore(), v.chatRecallAfter()));
    }
    return reasons;
  }

  /** The worker's own validation bounds, as the tracking parameters a sleep records them under. */
  static Map<String, String> limits(ValidationConfig v) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("validation_max_perplexity_drift", Double.toString(v.maxPerplexityDrift()));
    m.put("validation_max_behaviour_shift", Double.toString(v.maxBehaviourShift()));
    m.put("validation_require_chat_recall", Boolean.toString(v.requireChatRecall()));
    m.put("validation_require_raw_recall", Boolean.toString(v.requireRawRecall()));
    m.put("validation_recovered_per_loss", Integer.toString(v.recoveredPerLoss()));
    m.put("validation_max_knowledge_loss_per_sleep", Double.toString(v.maxKnowledgeLossPerSleep()));
    m.put("validation_max_knowledge_loss_over_lifetime", Double.toString(v.maxKnowledgeLossOverLifetime()));
    return m;
  }
}
