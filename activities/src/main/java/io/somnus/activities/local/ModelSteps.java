package io.somnus.activities.local;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.BadStepInputException;
import io.somnus.activities.FactState;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import io.somnus.engine.memory.EditSet;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.model.SafeTensors;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.CandidateValidator;
import io.somnus.engine.sleep.ScratchEdits;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.ConsolidationGate;
import io.somnus.engine.sleep.FactRecall;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.Fuse;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.sleep.LoraTrainer;
import io.somnus.engine.sleep.Measurement;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.QaExample;
import io.somnus.engine.sleep.ReplaySet;
import io.somnus.engine.sleep.SleepTraining;
import io.somnus.engine.sleep.TrainedAdapters;
import io.somnus.engine.sleep.ValidationConfig;
import io.somnus.engine.sleep.ValidationReport;
import io.somnus.store.ModelVersion;
import io.somnus.store.ObjectStore;
import io.temporal.activity.Activity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The heavy steps: each loads the version it works on, calls the engine, stores what it made and
 * records its result under (run id, step). Held together because they share the version loader,
 * the settings and the probes; each nested class is one activity.
 */
final class ModelSteps {
  private static final String ADAPTER_SCALE = "somnus.lora_scale";

  private final ObjectStore store;
  private final VersionStates states;
  private final StepJournal journal;
  private final LocalStepSettings settings;
  private final FactRecall recall;
  private final CandidateValidator validator;

  ModelSteps(ObjectStore store, VersionStates states, StepJournal journal, LocalStepSettings settings) {
    this.store = store;
    this.states = states;
    this.journal = journal;
    this.settings = settings;
    this.recall = new FactRecall(settings.questions(), settings.recallTokens());
    this.validator = new CandidateValidator(settings.validation(), settings.probes(), recall);
  }

  private static void heartbeat(Object details) {
    try {
      Activity.getExecutionContext().heartbeat(details);
    } catch (IllegalStateException notInActivity) {
      // called outside a worker (tests, CLI): nothing to report to
    }
  }

  private double referencePerplexity(ModelRuntime rt) {
    double sum = 0;
    for (String t : settings.probes().referenceTexts()) sum += rt.perplexity(t);
    return sum / settings.probes().referenceTexts().size();
  }

  private static List<Fact> select(FactStageTable table, List<String> ids) {
    Map<String, Fact> byId = table.facts().stream().collect(Collectors.toMap(Fact::id, f -> f, (a, b) -> a, LinkedHashMap::new));
    List<Fact> out = new ArrayList<>();
    for (String id : ids) {
      Fact f = byId.get(id);
      if (f == null) throw new BadStepInputException("fact " + id + " is not in the version's fact table");
      out.add(f);
    }
    return out;
  }

  final class Health implements HealthCheckActivity {
    private final io.somnus.store.ModelRegistry registry;

    Health(io.somnus.store.ModelRegistry registry) {
      this.registry = registry;
    }

    @Override
    public Report healthCheck(Input in) {
      return journal.once(in.runId(), "health-check", Report.class, () -> {
        String live = registry.live().id();
        MemoryState state = states.state(live);
        heartbeat("loading " + live);
        try (ComposedModel m = state.load(settings.device())) {
          int unconsolidated = (int) state.stages().entries().stream().filter(e -> e.stage().level() < 3).count();
          return new Report(live, state.stages().size(), unconsolidated, referencePerplexity(m.runtime()));
        }
      });
    }
  }

  final class Audit implements AuditActivity {
    @Override
    public Report audit(Input in) {
      return journal.once(in.runId(), "audit", Report.class, () -> {
        MemoryState state = states.state(in.versionId());
        List<Fact> facts = in.factIds().isEmpty() ? state.stages().facts() : select(state.stages(), in.factIds());
        heartbeat("probing " + facts.size() + " facts");
        Measurement m;
        try (ComposedModel model = state.load(settings.device())) {
          m = validator.measure(model.runtime(), facts);
        }
        journal.record(in.runId(), "audit-measurement", m);
        List<String> degraded = new ArrayList<>();
        for (FactStageTable.Entry e : state.stages().entries()) {
          String id = e.fact().id();
          if (!m.raw().containsKey(id)) continue;
          boolean raw = m.raw().get(id);
          boolean chat = Boolean.TRUE.equals(m.chat().get(id));
          // a fresh fact must complete raw; a consolidating one may be held by either pathway (spec §6)
          boolean healthy = e.stage().level() == 0 ? raw : raw || chat;
          if (!healthy) degraded.add(id);
        }
        List<FactState> states = VersionStates.factStates(state.stages(), m.raw(), m.chat());
        return new Report(facts.size(), facts.size() - degraded.size(), degraded, m.rawRecall(), states);
      });
    }
  }

  /**
   * Step 4: the audit's degraded facts are topped up inside the null space of every other fact's keys
   * ({@link MemitEditor#refresh}), on a scratch copy of the version's weights, into a new working version that is
   * not live. The refreshed facts restart at stage 0 under the merged edit (it holds them at full scale again). A
   * degraded fact that is still not recalled afterwards is reported as failed; training goes on either way.
   */
  final class Refresh implements NullSpaceRefreshActivity {
    @Override
    public Result refresh(Input in) {
      return journal.once(in.runId(), "null-space-refresh", Result.class, () -> {
        ModelVersion version = states.version(in.versionId());
        MemoryState state = states.state(in.versionId());
        List<Fact> degraded = new ArrayList<>();
        for (Fact f : select(state.stages(), in.degradedFactIds())) {
          if (state.edits().stream().anyMatch(e -> e.facts().contains(f))) degraded.add(f); // only an edit can be topped up
        }
        if (degraded.isEmpty()) return new Result(in.versionId(), List.of(), in.degradedFactIds());
        heartbeat("refreshing " + degraded.size() + " degraded facts");
        try (ScratchEdits scratch = new ScratchEdits(state, settings.keyStatisticsTexts(), Runtimes.somnusHome().resolve("cache"),
            settings.device())) {
          EditSet set = scratch.set();
          MemitEditor.RefreshResult r = scratch.editor().refresh(set, degraded);
          if (r.rewritten().edit() == null) return new Result(in.versionId(), List.of(), in.degradedFactIds());
          FactStageTable table = state.stages().withEdit(r.rewritten().edit());
          RecallProbe probe = new RecallProbe(scratch.runtime(), settings.recallTokens());
          List<String> refreshed = new ArrayList<>();
          List<String> failed = new ArrayList<>();
          for (String id : in.degradedFactIds()) {
            Fact f = degraded.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
            (f != null && probe.rawRecall(f) ? refreshed : failed).add(id);
          }
          String working = states.derive(version, null, version.loraHistory(), set.edits(), table, in.runId(),
              Map.of("facts_refreshed", (double) refreshed.size()));
          return new Result(working, refreshed, failed);
        }
      });
    }
  }

  final class Train implements TrainLoraActivity {
    @Override
    public Result trainLora(Input in) {
      var done = journal.find(in.runId(), attemptStep("train-lora", in.attempt()), Result.class);
      if (done.isPresent() && store.exists(done.get().adapterKey())) {
        Result r = done.get();
        return new Result(r.adapterKey(), r.steps(), r.firstLoss(), r.finalLoss(), true, r.keptStep());
      }
      MemoryState state = states.state(in.versionId());
      List<Fact> facts = select(state.stages(), in.factIds());
      if (facts.isEmpty()) throw new BadStepInputException("no facts to train on");
      TrainLoraActivity.Settings s = in.settings();
      LoraConfig lora = settings.lora().withLearningRate(s.learningRate()).withSteps(s.minSteps(), s.stepsPerFact(), s.maxSteps()).withSeed(s.seed());

      Checkpoint.Contents fused = Checkpoint.load(state.fusedCheckpoint());
      List<QaExample> rehearsal = SleepTraining.rehearsal(settings.replay().window(state.generation(), ReplaySet.TEXTS_PER_SLEEP),
          state, fused, facts.stream().sorted(java.util.Comparator.comparingInt(f -> state.stages().stage(f).level())).toList(),
          settings.questions(), settings.device());
      LoraTrainer.Result trained = SleepTraining.train(state, fused, facts, rehearsal,
          settings.questions(), settings.rawStatements(), lora, settings.validation(), settings.device(),
          (step, total, loss) -> heartbeat(new Progress(step, total, loss)));
      Map<String, HostTensor> factors;
      float scale;
      try (TrainedAdapters a = trained.adapters()) {
        factors = a.toHost();
        scale = a.scale();
      }
      String key = storeAdapter(factors, scale);
      Result r = new Result(key, trained.steps(), trained.firstLoss(), trained.finalLoss(), false, trained.keptStep());
      journal.record(in.runId(), attemptStep("train-lora", in.attempt()), r);
      return r;
    }

    private String storeAdapter(Map<String, HostTensor> factors, float scale) {
      try {
        Path tmp = Files.createTempFile("somnus-adapter", ".safetensors");
        try {
          SafeTensors.write(tmp, factors.values(), Map.of(ADAPTER_SCALE, Float.toString(scale)));
          return store.put(tmp);
        } finally {
          Files.deleteIfExists(tmp);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the trained adapter", e);
      }
    }
  }

  final class FuseStep implements FuseToTempActivity {
    @Override
    public Result fuseToTemp(Input in) {
      return journal.once(in.runId(), attemptStep("fuse-to-temp", in.attempt()), Result.class, () -> {
        if (!store.exists(in.adapterKey())) throw new BadStepInputException("adapter " + in.adapterKey() + " is not in the store");
        ModelVersion parentVersion = states.version(in.versionId());
        MemoryState state = states.state(in.versionId());
        Checkpoint.Contents parent = Checkpoint.load(state.fusedCheckpoint());
        Path scratch = null;
        try {
          scratch = Files.createTempDirectory(state.fusedCheckpoint().getParent(), "fuse-" + in.runId() + "-");
          Path adapterFile = scratch.resolve("adapter.safetensors");
          store.get(in.adapterKey(), adapterFile);
          Map<String, HostTensor> factors = new LinkedHashMap<>();
          float scale;
          try (SafeTensors st = SafeTensors.open(adapterFile)) {
            for (String n : st.names()) factors.put(n, st.read(n));
            scale = Float.parseFloat(st.metadata().getOrDefault(ADAPTER_SCALE, "1"));
          }
          heartbeat("merging");
          Map<String, HostTensor> fused;
          try (TrainedAdapters adapters = TrainedAdapters.fromHost(factors, scale, settings.device())) {
            fused = Fuse.merge(parent.tensors(), adapters);
          }
          Path candidateDir = scratch.resolve("candidate");
          Fuse.saveCandidate(candidateDir, parent.config(), fused, state.fusedCheckpoint());
          List<String> lora = new ArrayList<>(parentVersion.loraHistory());
          lora.add(in.adapterKey());
          String id = states.derive(parentVersion, candidateDir, lora, state.edits(), state.stages(), in.runId(), Map.of());
          return new Result(id);
        } catch (IOException e) {
          throw new UncheckedIOException("fuse-to-temp failed on local disk", e);
        } finally {
          deleteQuietly(scratch);
        }
      });
    }
  }

  final class Validate implements ValidateActivity {
    @Override
    public Result validate(Input in) {
      return journal.once(in.runId(), attemptStep("validate", in.attempt()), Result.class, () -> {
        MemoryState cand = states.state(in.candidateVersionId());
        List<Fact> facts = cand.stages().facts();
        MemoryState liveState = states.state(in.liveVersionId());
        Measurement live = journal.find(in.runId(), "audit-measurement", Measurement.class).orElseGet(() -> {
          try (ComposedModel m = liveState.load(settings.device())) {
            return validator.measure(m.runtime(), facts);
          }
        });
        // The live version is the same for every attempt of a sleep, so a retry reads the baseline its first attempt
        // measured rather than composing the pre-edit model again.
        Measurement beforeEdits = journal.once(in.runId(), "pre-edit-behaviour", Measurement.class, () -> {
          try (ComposedModel m = SleepTraining.withoutEdits(liveState, Checkpoint.load(liveState.fusedCheckpoint()), settings.device())) {
            return validator.measureBehaviour(m.runtime());
          }
        });
        heartbeat("gating " + facts.size() + " facts");
        try (ComposedModel model = cand.load(settings.device())) {
          ConsolidationGate.Result gate = new ConsolidationGate(recall).run(model, cand.stages());
          ValidationReport v = validator.validate(live, beforeEdits, model.runtime(), facts);
          List<String> reasons = new ArrayList<>(v.reasons());
          double drift = v.perplexityDrift();
          if (drift > in.thresholds().maxPerplexityIncrease()) {
            reasons.add(String.format("reference perplexity rose %.1f%% (limit %.1f%%)", 100 * drift, 100 * in.thresholds().maxPerplexityIncrease()));
          }
          double drop = v.chatRecallBefore() - v.chatRecallAfter();
          if (drop > in.thresholds().maxRecallDrop()) {
            reasons.add(String.format("chat recall fell from %.2f to %.2f", v.chatRecallBefore(), v.chatRecallAfter()));
          }
          boolean approved = v.passed() && reasons.isEmpty();
          ModelVersion candVersion = states.version(in.candidateVersionId());
          Map<String, Double> metrics = Map.of("chat_recall", v.chatRecallAfter(), "raw_recall", v.rawRecallAfter(),
              "perplexity", v.perplexityAfter());
          String gated = states.derive(candVersion, null, candVersion.loraHistory(), cand.edits(), gate.table(), in.runId(), metrics);
          List<FactState> states = VersionStates.factStates(gate.table(), null, gate.passed());
          return new Result(approved, gated, v.chatRecallBefore(), v.chatRecallAfter(), v.perplexityBefore(),
              v.perplexityAfter(), (int) gate.transition().advanced(), (int) gate.transition().retreated(), reasons, states,
              limits(settings.validation()), List.copyOf(gate.keptScale()));
        }
      });
    }
  }

  /**
   * The journal name of a step's result for one attempt of a sleep: the plain name for the first, so that journals
   * written before retries existed are still found, and {@code <step>-attempt-<n>} (1-based) for a retry.
   */
  static String attemptStep(String step, int attempt) {
    if (attempt < 0) throw new BadStepInputException("attempt must be >= 0, got " + attempt);
    return attempt == 0 ? step : step + "-attempt-" + (attempt + 1);
  }

  /** The worker's own validation bounds, as the tracking parameters a sleep records them under. */
  static Map<String, String> limits(ValidationConfig v) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("validation_max_perplexity_drift", Double.toString(v.maxPerplexityDrift()));
    m.put("validation_max_behaviour_shift", Double.toString(v.maxBehaviourShift()));
    m.put("validation_require_chat_recall", Boolean.toString(v.requireChatRecall()));
    m.put("validation_require_raw_recall", Boolean.toString(v.requireRawRecall()));
    m.put("validation_recovered_per_loss", Integer.toString(v.recoveredPerLoss()));
    return m;
  }

  static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // scratch space: a leftover folder is harmless
    }
  }

  static Set<String> idsOf(List<Fact> facts) {
    return facts.stream().map(Fact::id).collect(Collectors.toSet());
  }
}
