package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.Checkpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training step of a sleep, as the sleep's training activity runs it: the
 * facts' examples (every question phrasing, and the raw statement with {@code rawStatements}), their recall checks,
 * and LoRA on the state's fused weights.
 *
 * <p>With {@link LoraConfig#trainAroundEdits()} the state's MEMIT edits take part: each step trains with them in one
 * of three states, drawn at random (at their scales now, at the scales the gate gives them if every fact passes, or
 * removed), and a fact only counts as learned when it is recalled in all three. Adapters trained on the bare fused
 * weights learn answers that a still-active edit then breaks (evaluation/DECISIONS.md, "training trains around the
 * edits"). Adapters trained with the edits always applied learn
 * to lean on them and fail the gate, which removes them. The third state is there because the candidate is validated
 * at the gate's new scales, which neither of the other two is, and facts recalled before but lost there can roll the
 * whole sleep back.
 */
public final class SleepTraining {
  private SleepTraining() {}

  public static LoraTrainer.Result train(MemoryState state, Checkpoint.Contents fused, List<Fact> facts,
      List<QaExample> rehearsal, FactQuestions questions, boolean rawStatements, LoraConfig lora,
      ValidationConfig validation, Device device, LoraTrainer.Listener listener) {
    boolean aroundEdits = lora.trainAroundEdits() && !state.edits().isEmpty();
    Map<String, Float> scales = state.scales();
    try (ComposedModel model = ComposedModel.of(fused.config(), fused.tensors(), state.fusedCheckpoint(),
        aroundEdits ? state.edits() : List.of(), aroundEdits ? scales : Map.of(), device)) {
      List<QaExample> examples = QaDataset.build(model.tokenizer(), facts, questions, rawStatements);
      List<QaExample> checks = QaDataset.recallChecks(model.tokenizer(), facts, questions, rawStatements);
      LoraTrainer.Conditions conditions = aroundEdits ? editStates(model, scales, scalesAfterAllPass(state))
          : LoraTrainer.Conditions.none();
      List<SoftTargets> teacher = lora.distillWeight() > 0 ? teacherTargets(model, scales, rehearsal, lora.distillTopK()) : null;
      return LoraTrainer.train(model.model(), conditions, model.tokenizer(), examples, checks, rehearsal, teacher, facts.size(),
          lora, validation, listener);
    }
  }

  /**
   * The rehearsal's teacher distributions: the fused weights without the MEMIT edits, the model whose answers the
   * rehearsal holds ({@link #withoutEdits}); read from the training model with its edits switched off, then back on.
   */
  private static List<SoftTargets> teacherTargets(ComposedModel model, Map<String, Float> scales, List<QaExample> rehearsal, int k) {
    Map<String, Float> off = new LinkedHashMap<>();
    for (String id : scales.keySet()) off.put(id, 0f);
    model.setScales(off);
    try {
      return SoftTargets.of(model.model(), rehearsal, k);
    } finally {
      model.setScales(scales);
    }
  }

  /**
   * The state's fused weights without its MEMIT edits: the model as it was before the wake wrote what is not yet
   * consolidated. A sleep rehearses its answers ({@link #rehearsal}) and validation accepts them back
   * ({@link CandidateValidator#validate(Measurement, Measurement, io.somnus.engine.runtime.ModelRuntime, List)}). The
   * live model is the wrong teacher, because an edit also moves answers it was never meant to touch (somnus-tiny,
   * after a first sleep: one wake write of 20 facts turned 11 of 100 known-fact answers wrong). Self-distilling from
   * the live model taught the adapters those wrong answers, and they outlived the edits that caused them. The caller
   * closes it as soon as it has what it needs: it is a second copy of the weights.
   */
  public static ComposedModel withoutEdits(MemoryState state, Checkpoint.Contents fused, Device device) {
    return ComposedModel.of(fused.config(), fused.tensors(), state.fusedCheckpoint(), List.of(), Map.of(), device);
  }

  /** What a sleep rehearses ({@link ReplaySet#examples}), answered by the weights {@link #withoutEdits}. */
  public static List<QaExample> rehearsal(ReplaySet replay, MemoryState state, Checkpoint.Contents fused, List<Fact> facts,
      FactQuestions questions, Device device) {
    return rehearsal(replay, state, fused, facts, questions, device, Progress.NONE);
  }

  /** As above, reporting each rehearsal answer generated. */
  public static List<QaExample> rehearsal(ReplaySet replay, MemoryState state, Checkpoint.Contents fused, List<Fact> facts,
      FactQuestions questions, Device device, Progress progress) {
    try (ComposedModel teacher = withoutEdits(state, fused, device)) {
      return replay.examples(teacher.runtime(), facts, questions, progress);
    }
  }

  /** The scales the gate gives the state's edits when every fact passes: each fact one stage on. */
  static Map<String, Float> scalesAfterAllPass(MemoryState state) {
    Map<String, Boolean> allPass = new LinkedHashMap<>();
    for (Fact f : state.stages().facts()) allPass.put(f.id(), true);
    return state.stages().afterGate(allPass).table().scales(state.edits());
  }

  /**
   * State 0: the edits at their scales; state 1: at the scales after a full pass of the gate; state 2: removed. The
   * candidate is validated with its edits at the scales the gate gives them, between states 0 and 1, so those two are
   * the judged ones: a check missed only without the edits is a fact not yet carried by the weights alone, which the
   * gate holds back, not an answer the live model loses.
   */
  static LoraTrainer.Conditions editStates(ComposedModel model, Map<String, Float> scales, Map<String, Float> next) {
    Map<String, Float> off = new LinkedHashMap<>();
    for (String id : scales.keySet()) off.put(id, 0f);
    List<Map<String, Float>> states = List.of(scales, next, off);
    return new LoraTrainer.Conditions() {
      @Override
      public int count() {
        return states.size();
      }

      @Override
      public int judged() {
        return 2;
      }

      @Override
      public void apply(int index) {
        model.setScales(states.get(index));
      }
    };
  }
}
