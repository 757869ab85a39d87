package io.somnus.cli.wake;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.SleepTraining;
import io.somnus.store.ModelVersion;
import io.somnus.store.VersionStates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a forgotten fact's question is answered with once it is forgotten: the base model's own answer (the imported
 * checkpoint at the root of the live version's lineage, before anything was taught). A MEMIT edit can be taken out
 * exactly, but what sleeps trained into the fused weights cannot; the base model's answer is written in its place as a
 * fact, and the next sleeps consolidate it into the fused weights, untraining the forgotten one, validated like any
 * other fact. Its MEMIT edit makes the model answer as the base model did at once where it outweighs the fused weights.
 */
final class BaseAnswers {
  /** A forgotten fact the fused weights still state, and the base model's answer that replaces it. */
  record Restore(Fact forgotten, Fact baseAnswer) {}

  private BaseAnswers() {}

  /**
   * The restores for {@code forgotten}: one for each fact the state's fused weights alone (every MEMIT edit off) still
   * state, whose subject holds no other value of that relation in {@code heldBesides}, and that the base model does not
   * state itself.
   *
   * @throws IllegalArgumentException when the base model gives no answer that could be written (nothing is changed)
   */
  static List<Restore> restores(VersionStates versions, ModelVersion live, MemoryState state, List<Fact> forgotten,
      List<Fact> heldBesides, Device device) {
    List<Fact> inFusedWeights = new ArrayList<>();
    try (ComposedModel fusedOnly = SleepTraining.withoutEdits(state, Checkpoint.load(state.fusedCheckpoint()), device)) {
      RecallProbe probe = new RecallProbe(fusedOnly.runtime(), 12);
      for (Fact f : forgotten) {
        // Another value of the relation answers the question once this one is gone (e.g. a second hobby).
        boolean otherValueHeld = heldBesides.stream().anyMatch(h -> h.subject().equals(f.subject()) && h.relation().equals(f.relation()));
        if (!otherValueHeld && probe.rawRecall(f)) inFusedWeights.add(f);
      }
    }
    if (inFusedWeights.isEmpty()) return List.of();
    List<Restore> out = new ArrayList<>();
    String baseId = root(versions, live).id();
    try (ComposedModel base = versions.state(baseId).load(device)) {
      RecallProbe probe = new RecallProbe(base.runtime(), 12);
      for (Fact f : inFusedWeights) {
        Optional<String> said = FactClassifier.rawAnswer(probe, f);
        if (said.isEmpty()) {
          throw new IllegalArgumentException("cannot forget " + f.id() + " (" + f.sentence() + "): sleeps put it into the fused"
              + " weights, and the base model (" + baseId + ") gives no answer to \"" + f.prompt() + "\" to put in its place."
              + " Nothing was changed");
        }
        // The base model says so itself: once the fact is out of the table, the model answers as the base model does.
        if (said.get().toLowerCase(Locale.ROOT).startsWith(f.object().toLowerCase(Locale.ROOT))) continue;
        out.add(new Restore(f, new Fact(f.subject(), f.relation(), said.get())));
      }
    }
    return out;
  }

  /** The first version of the lineage: the imported checkpoint. */
  private static ModelVersion root(VersionStates versions, ModelVersion v) {
    ModelVersion at = v;
    while (at.parentId() != null) at = versions.version(at.parentId());
    return at;
  }

  /** The restores by the fact they replace. */
  static Map<Fact, Fact> byForgotten(List<Restore> restores) {
    Map<Fact, Fact> out = new LinkedHashMap<>();
    for (Restore r : restores) out.put(r.forgotten(), r.baseAnswer());
    return out;
  }
}
