package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.Checkpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training step of a sleep, one implementation for {@link SleepCycle} and the Temporal training activity: the
 * facts' examples (every question phrasing, and the raw statement with {@code rawStatements}), their recall checks,
 * and LoRA on the state's fused weights.
 *
 * <p>With {@link LoraConfig#trainAroundEdits()} the state's MEMIT edits take part: each step trains with them either
 * applied at their scales or removed, drawn at random, and a fact only counts as learned when it is recalled both
 * ways. Adapters trained on the bare fused weights learn answers that a still-active edit then breaks: on
 * somnus-tiny, a new wave's edit at scale 1.0 on the candidate took chat recall of its five facts from 5/5 to 2/5.
 * Adapters trained with the edits always applied learn to lean on them and fail the gate, which removes them.
 */
public final class SleepTraining {
  private SleepTraining() {}

  public static LoraTrainer.Result train(MemoryState state, Checkpoint.Contents fused, List<Fact> facts,
      List<QaExample> rehearsal, FactQuestions questions, boolean rawStatements, LoraConfig lora, Device device,
      LoraTrainer.Listener listener) {
    boolean aroundEdits = lora.trainAroundEdits() && !state.edits().isEmpty();
    Map<String, Float> scales = state.scales();
    try (ComposedModel model = ComposedModel.of(fused.config(), fused.tensors(), state.fusedCheckpoint(),
        aroundEdits ? state.edits() : List.of(), aroundEdits ? scales : Map.of(), device)) {
      List<QaExample> examples = QaDataset.build(model.tokenizer(), facts, questions, rawStatements);
      List<QaExample> checks = QaDataset.recallChecks(model.tokenizer(), facts, questions, rawStatements);
      LoraTrainer.Conditions conditions = aroundEdits ? editsOnAndOff(model, scales) : LoraTrainer.Conditions.none();
      return LoraTrainer.train(model.model(), conditions, model.tokenizer(), examples, checks, rehearsal, facts.size(), lora,
          listener);
    }
  }

  /** State 0: the edits at their scales; state 1: every edit removed. */
  static LoraTrainer.Conditions editsOnAndOff(ComposedModel model, Map<String, Float> scales) {
    Map<String, Float> off = new LinkedHashMap<>();
    for (String id : scales.keySet()) off.put(id, 0f);
    return new LoraTrainer.Conditions() {
      @Override
      public int count() {
        return 2;
      }

      @Override
      public void apply(int index) {
        model.setScales(index == 0 ? scales : off);
      }
    };
  }
}
