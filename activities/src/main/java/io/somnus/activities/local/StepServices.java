package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.sleep.CandidateValidator;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.ObjectStore;
import io.somnus.store.VersionNotFoundException;
import io.somnus.store.VersionStates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every local step is built from: the version loader, the step journal, the measuring and training settings, and
 * the recall probes and validator those settings define. One per worker process.
 */
final class StepServices {
  final VersionStates states;
  final StepJournal journal;
  final LocalStepSettings settings;
  final FactRecall recall;
  final CandidateValidator validator;

  StepServices(VersionStates states, StepJournal journal, LocalStepSettings settings) {
    this.states = states;
    this.journal = journal;
    this.settings = settings;
    this.recall = new FactRecall(settings.questions(), settings.recallTokens());
    this.validator = new CandidateValidator(settings.validation(), settings.probes(), recall);
  }

  ModelRegistry registry() {
    return states.registry();
  }

  ObjectStore store() {
    return states.registry().store();
  }

  /** The version, or a non-retryable input error naming it. */
  ModelVersion version(String id) {
    try {
      return states.version(id);
    } catch (VersionNotFoundException e) {
      throw new BadStepInputException("model version " + id + " does not exist", e);
    }
  }

  /** {@code ids} as facts of {@code table}, in that order; an id the table lacks is an input error. */
  static List<Fact> select(FactStageTable table, List<String> ids) {
    Map<String, Fact> byId = new LinkedHashMap<>();
    for (Fact f : table.facts()) byId.putIfAbsent(f.id(), f);
    List<Fact> out = new ArrayList<>();
    for (String id : ids) {
      Fact f = byId.get(id);
      if (f == null) throw new BadStepInputException("fact " + id + " is not in the version's fact table");
      out.add(f);
    }
    return out;
  }

  /**
   * The journal name of a step's result for one attempt of a sleep: the plain name for the first, so that journals
   * written before retries existed are still found, and {@code <step>-attempt-<n>} (1-based) for a retry.
   */
  static String attemptStep(String step, int attempt) {
    if (attempt < 0) throw new BadStepInputException("attempt must be >= 0, got " + attempt);
    return attempt == 0 ? step : step + "-attempt-" + (attempt + 1);
  }
}
