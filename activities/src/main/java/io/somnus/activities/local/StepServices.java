package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.sleep.CandidateValidator;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.ObjectStore;
import io.somnus.store.RegistryMirror;
import io.somnus.store.RunTracker;
import io.somnus.store.TrackingException;
import io.somnus.store.VersionNotFoundException;
import io.somnus.store.VersionStates;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every local step is built from: the version loader, the step journal, the measuring and training settings, and
 * the recall probes and validator those settings define. One per worker process.
 */
final class StepServices {
  private static final Logger log = LoggerFactory.getLogger(StepServices.class);

  final VersionStates states;
  final StepJournal journal;
  final LocalStepSettings settings;
  final FactRecall recall;
  final CandidateValidator validator;
  /** The runs the steps record; null in tests that run steps without tracking. */
  final RunTracker runs;
  /** The tracking server's model registry, following the Somnus registry; null without tracking. */
  final RegistryMirror mirror;

  StepServices(VersionStates states, StepJournal journal, LocalStepSettings settings) {
    this(states, journal, settings, null, null);
  }

  StepServices(VersionStates states, StepJournal journal, LocalStepSettings settings, RunTracker runs, RegistryMirror mirror) {
    this.states = states;
    this.journal = journal;
    this.settings = settings;
    this.recall = new FactRecall(settings.questions(), settings.recallTokens());
    this.validator = new CandidateValidator(settings.validation(), settings.probes(), recall);
    this.runs = runs;
    this.mirror = mirror;
  }

  /**
   * Tracking that only adds to what the run records (its start, a loss curve, the registry mirror): a tracking server
   * that is down must not fail the sleep; the Report step records the run in full, and the mirror repairs itself on
   * the next move.
   */
  void bestEffort(String what, java.util.function.Consumer<RunTracker> call) {
    if (runs == null) return;
    try {
      call.accept(runs);
    } catch (TrackingException e) {
      log.warn("tracking: could not {}: {}", what, e.getMessage());
    }
  }

  /** Brings the tracking server's model registry in line with live and previous; best effort (see {@link #bestEffort}). */
  void mirrorRegistry() {
    if (mirror == null) return;
    try {
      mirror.sync();
    } catch (TrackingException e) {
      log.warn("tracking: the model registry mirror lags ({}); the next move repairs it", e.getMessage());
    }
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
