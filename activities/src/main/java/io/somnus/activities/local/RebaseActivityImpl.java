package io.somnus.activities.local;

import io.somnus.activities.FactState;
import io.somnus.activities.RebaseActivity;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.WakeWrite;
import io.somnus.store.EditRef;
import io.somnus.store.ModelVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Carries what the wake wrote while the sleep ran onto the sleep's approved candidate. The wake's edits are additive
 * deltas solved on the live weights; on the candidate's fused weights most still state their facts, and those that do
 * not are solved again there, so the rebased version holds every fact either version held.
 */
final class RebaseActivityImpl implements RebaseActivity {
  private final StepServices steps;

  RebaseActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result rebase(Input in) {
    return steps.journal.once(in.runId(), "rebase-" + (in.round() + 1), Result.class, () -> {
      ModelVersion base = steps.version(in.baseVersionId());
      ModelVersion candidate = steps.version(in.candidateVersionId());
      MemoryState candidateState = steps.states.state(candidate);
      MemoryState liveState = steps.states.state(steps.version(in.liveVersionId()));

      Set<String> baseEdits = editIds(base);
      Set<String> liveEdits = new LinkedHashSet<>();
      for (MemitEdit e : liveState.edits()) liveEdits.add(e.id());
      List<MemitEdit> carried = liveState.edits().stream().filter(e -> !baseEdits.contains(e.id())).toList();
      Set<String> carriedEdits = new LinkedHashSet<>();
      carried.forEach(e -> carriedEdits.add(e.id()));
      // Facts now held by a carried edit; among them the facts of base edits a wake repair merged into it.
      Set<String> carriedFacts = new LinkedHashSet<>();
      for (FactStageTable.Entry e : liveState.stages().entries()) if (carriedEdits.contains(e.editId())) carriedFacts.add(e.fact().id());

      List<MemitEdit> edits = new ArrayList<>();
      for (MemitEdit e : candidateState.edits()) if (!baseEdits.contains(e.id()) || liveEdits.contains(e.id())) edits.add(e);
      edits.addAll(carried);
      List<FactStageTable.Entry> entries = new ArrayList<>();
      for (FactStageTable.Entry e : candidateState.stages().entries()) if (!carriedFacts.contains(e.fact().id())) entries.add(e);
      for (FactStageTable.Entry e : liveState.stages().entries()) if (carriedFacts.contains(e.fact().id())) entries.add(e);
      MemoryState rebased = new MemoryState(candidateState.fusedCheckpoint(), candidateState.generation(), edits,
          FactStageTable.of(entries));

      Heartbeat.beat("checking " + carriedFacts.size() + " carried facts");
      List<Fact> carriedList = rebased.stages().facts().stream().filter(f -> carriedFacts.contains(f.id())).toList();
      Map<String, Boolean> raw;
      try (ComposedModel model = rebased.load(steps.settings.device())) {
        raw = steps.recall.rawAll(model.runtime(), carriedList, Heartbeat.of());
      }
      List<Fact> missed = carriedList.stream().filter(f -> !raw.get(f.id())).toList();
      List<String> rewritten = new ArrayList<>();
      if (!missed.isEmpty()) {
        rebased = rewrite(rebased, carried, missed);
        missed.forEach(f -> rewritten.add(f.id()));
      }
      String id = steps.states.derive(candidate, null, candidate.loraHistory(), rebased.edits(), rebased.stages(), in.runId(),
          Map.of("facts_carried", (double) carriedFacts.size(), "facts_rewritten", (double) rewritten.size()));
      Map<String, Boolean> measured = new LinkedHashMap<>(raw);
      rewritten.forEach(f -> measured.put(f, true));
      List<FactState> facts = FactStates.of(rebased.stages(), measured, null);
      return new Result(id, List.copyOf(carriedFacts), rewritten, facts);
    });
  }

  /**
   * Drops the carried edits that hold a missed fact and writes all their facts again, as one wake write, on the
   * candidate with everything else: an edit solved for other weights is replaced, not patched.
   */
  private MemoryState rewrite(MemoryState rebased, List<MemitEdit> carried, List<Fact> missed) {
    Set<String> dropped = new LinkedHashSet<>();
    for (MemitEdit e : carried) if (missed.stream().anyMatch(f -> e.facts().contains(f))) dropped.add(e.id());
    List<Fact> again = new ArrayList<>();
    List<FactStageTable.Entry> kept = new ArrayList<>();
    for (FactStageTable.Entry e : rebased.stages().entries()) {
      if (dropped.contains(e.editId())) again.add(e.fact());
      else kept.add(e);
    }
    List<MemitEdit> edits = rebased.edits().stream().filter(e -> !dropped.contains(e.id())).toList();
    MemoryState without = new MemoryState(rebased.fusedCheckpoint(), rebased.generation(), edits, FactStageTable.of(kept));
    Heartbeat.beat("writing " + again.size() + " facts again");
    WakeWrite.Result w = WakeWrite.write(without, again, steps.settings.keyStatisticsTexts(),
        Runtimes.somnusHome().resolve("cache"), steps.settings.device());
    if (!w.skipped().isEmpty()) {
      throw new IllegalStateException("cannot carry facts taught during the sleep onto its candidate: " + w.skipped());
    }
    return w.state();
  }

  private static Set<String> editIds(ModelVersion v) {
    Set<String> ids = new LinkedHashSet<>();
    for (EditRef r : v.memitEdits()) ids.add(r.editId());
    return ids;
  }
}
