package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.train.TrainingDivergedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sleep as plain Java: audit → train LoRA → fuse-to-temp → gate → validate → promote or roll
 * back. The live model is only read (audit); everything else happens on a candidate built from a
 * copy of the fused weights, and only a validated candidate is written, as a new checkpoint
 * directory next to the old one. A candidate that validation refuses is trained again from the same parent at a
 * lower learning rate, up to {@link Settings#retriesOnRefusal} times, before the sleep rolls back. The Temporal
 * workflow runs the same steps as separate activities.
 */
public final class SleepCycle {

  /**
   * @param rawStatements also train on "subject relation → object" so raw completion keeps a fact
   *     after its MEMIT edit dissolves
   * @param versionsDir where promoted fused checkpoints are written ({@code fused-0001}, …)
   * @param retriesOnRefusal see {@link #RETRIES_ON_REFUSAL}; 0 rolls back at the first refusal
   */
  public record Settings(LoraConfig lora, ValidationConfig validation, ProbeSet probes, ReplaySet replay,
      FactQuestions questions, int recallTokens, boolean rawStatements, Path versionsDir, Device device,
      int retriesOnRefusal) {
    /**
     * Times a sleep trains again, each at {@link LoraConfig#forRetry} of the previous attempt's settings, when
     * validation refuses its candidate. A refused sleep leaves every fact a sleep behind: on somnus-tiny, sweep N = 20,
     * seed 2, the first sleep was refused and no fact reached stage 3 in three sleeps; with one retry, 17 of 20 did.
     * Lifetime, three waves of 5, seeds 1-3: every sleep promoted (seed 2's second after a retry) and chat recall of
     * all 15 facts 1.00 / 0.93 / 0.93; without the retry seed 2's second sleep was refused and it ended at 0.33.
     */
    public static final int RETRIES_ON_REFUSAL = 1;

    public Settings {
      if (retriesOnRefusal < 0) throw new IllegalArgumentException("retries on refusal must be >= 0, got " + retriesOnRefusal);
    }

    public Settings withLora(LoraConfig other) {
      return new Settings(other, validation, probes, replay, questions, recallTokens, rawStatements, versionsDir, device,
          retriesOnRefusal);
    }

    public Settings withReplay(ReplaySet other) {
      return new Settings(lora, validation, probes, other, questions, recallTokens, rawStatements, versionsDir, device,
          retriesOnRefusal);
    }

    public Settings withRetriesOnRefusal(int retries) {
      return new Settings(lora, validation, probes, replay, questions, recallTokens, rawStatements, versionsDir, device,
          retries);
    }
  }

  /** Progress, e.g. for activity heartbeats. */
  public interface Listener {
    void step(String name);

    default void trainingStep(int step, int total, double loss) {}

    /** After each recall check of the training step; see {@link LoraTrainer.Listener#onCheck}. */
    default void recallCheck(LoraTrainer.RecallCheck check) {}

    /** When the training step ends; see {@link LoraTrainer.Listener#onReturn}. */
    default void adaptersOf(int step) {}
  }

  /**
   * @param state the live state after the sleep (the old one unless promoted)
   * @param promoted the promoted model, ready to serve (the caller closes it); null unless promoted
   */
  public record Outcome(SleepReport report, MemoryState state, ComposedModel promoted) implements AutoCloseable {
    @Override
    public void close() {
      if (promoted != null) promoted.close();
    }
  }

  private final Settings settings;
  private final FactRecall recall;
  private final CandidateValidator validator;

  public SleepCycle(Settings settings) {
    this.settings = settings;
    this.recall = new FactRecall(settings.questions(), settings.recallTokens());
    this.validator = new CandidateValidator(settings.validation(), settings.probes(), recall);
  }

  public Outcome run(MemoryState state, ModelRuntime live, Listener listener) {
    return run(state, live, null, listener);
  }

  /**
   * @param audit a measurement of {@code live} on the state's facts taken since the live model last
   *     changed (e.g. by the previous sleep's caller), or null to measure now
   */
  public Outcome run(MemoryState state, ModelRuntime live, Measurement audit, Listener listener) {
    Listener l = listener == null ? name -> {} : listener;
    Map<String, Double> seconds = new LinkedHashMap<>();
    List<Fact> facts = state.stages().facts();
    if (facts.isEmpty() || state.edits().stream().allMatch(e -> state.stages().dissolved(e))) {
      return new Outcome(report(SleepReport.Status.SKIPPED, "no facts to consolidate", state, facts, null, null, null,
          state, null, seconds, List.of()), state, null);
    }
    l.step("audit");
    long t = System.nanoTime();
    if (audit == null) audit = validator.measure(live, facts);
    Checkpoint.Contents parent = Checkpoint.load(state.fusedCheckpoint());
    List<QaExample> rehearsal;
    Measurement beforeEdits;
    try (ComposedModel withoutEdits = SleepTraining.withoutEdits(state, parent, settings.device())) {
      rehearsal = settings.replay().examples(withoutEdits.runtime(), state.stages().leastConsolidatedFirst(), settings.questions());
      beforeEdits = validator.measureBehaviour(withoutEdits.runtime());
    }
    seconds.put("audit", since(t));
    List<String> refused = new ArrayList<>();
    LoraConfig lora = settings.lora();
    while (true) {
      Outcome out = attempt(state, parent, facts, rehearsal, audit, beforeEdits, lora, l, seconds, refused);
      if (out.report().status() != SleepReport.Status.ROLLED_BACK || refused.size() >= settings.retriesOnRefusal()) return out;
      refused.add(out.report().reason());
      lora = lora.forRetry();
    }
  }

  /** Train → fuse → gate → validate → promote once, at {@code lora}'s settings; step times add up in {@code seconds}. */
  private Outcome attempt(MemoryState state, Checkpoint.Contents parent, List<Fact> facts, List<QaExample> rehearsal,
      Measurement audit, Measurement beforeEdits, LoraConfig lora, Listener l, Map<String, Double> seconds, List<String> refused) {
    l.step("train");
    long t = System.nanoTime();
    LoraTrainer.Result trained;
    try {
      trained = SleepTraining.train(state, parent, facts, rehearsal, settings.questions(), settings.rawStatements(),
          lora, settings.validation(), settings.device(), trainingListener(l));
    } catch (TrainingDivergedException e) {
      add(seconds, "train", t);
      return new Outcome(report(SleepReport.Status.FAILED, e.getMessage(), state, facts, null, audit, null, state, null,
          seconds, refused), state, null);
    }
    add(seconds, "train", t);
    l.step("fuse");
    t = System.nanoTime();
    Map<String, HostTensor> fused;
    try (TrainedAdapters adapters = trained.adapters()) {
      fused = Fuse.merge(parent.tensors(), adapters);
    } catch (NonFiniteWeightsException e) {
      add(seconds, "fuse", t);
      return new Outcome(report(SleepReport.Status.FAILED, e.getMessage(), state, facts, trained, audit, null, state, null,
          seconds, refused), state, null);
    }
    add(seconds, "fuse", t);

    l.step("gate");
    t = System.nanoTime();
    ComposedModel candidate = ComposedModel.of(parent.config(), fused, state.fusedCheckpoint(), state.edits(),
        state.scales(), settings.device());
    boolean handedOver = false;
    try {
      ConsolidationGate.Result gate = new ConsolidationGate(recall).run(candidate, state.stages());
      add(seconds, "gate", t);

      l.step("validate");
      t = System.nanoTime();
      ValidationReport validation = validator.validate(audit, beforeEdits, candidate.runtime(), facts);
      add(seconds, "validate", t);
      if (!validation.passed()) {
        return new Outcome(report(SleepReport.Status.ROLLED_BACK, String.join("; ", validation.reasons()), state, facts,
            trained, audit, validation, state, null, seconds, refused), state, null);
      }

      l.step("promote");
      t = System.nanoTime();
      int generation = state.generation() + 1;
      Path dir = settings.versionsDir().resolve(String.format("fused-%04d", generation));
      try {
        Fuse.saveCandidate(dir, parent.config(), fused, state.fusedCheckpoint());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write candidate " + dir + "; live state unchanged", e);
      }
      List<MemitEdit> remaining = new ArrayList<>();
      for (MemitEdit e : state.edits()) if (!gate.table().dissolved(e)) remaining.add(e);
      MemoryState next = new MemoryState(dir, generation, remaining, gate.table());
      add(seconds, "promote", t);
      handedOver = true;
      return new Outcome(report(SleepReport.Status.PROMOTED, "", state, facts, trained, audit, validation, next, gate,
          seconds, refused), next, candidate);
    } finally {
      if (!handedOver) candidate.close();
    }
  }

  private static LoraTrainer.Listener trainingListener(Listener l) {
    return new LoraTrainer.Listener() {
      @Override
      public void onStep(int step, int totalSteps, double loss) {
        l.trainingStep(step, totalSteps, loss);
      }

      @Override
      public void onCheck(LoraTrainer.RecallCheck check) {
        l.recallCheck(check);
      }

      @Override
      public void onReturn(int step) {
        l.adaptersOf(step);
      }
    };
  }

  private static SleepReport report(SleepReport.Status status, String reason, MemoryState from, List<Fact> facts,
      LoraTrainer.Result trained, Measurement audit, ValidationReport validation, MemoryState after,
      ConsolidationGate.Result gate, Map<String, Double> seconds, List<String> refused) {
    return new SleepReport(status, reason, after.generation(), facts.size(), trained == null ? 0 : trained.examples(),
        trained == null ? 0 : trained.steps(), trained == null ? 0 : trained.keptStep(),
        trained == null ? Double.NaN : trained.firstLoss(),
        trained == null ? Double.NaN : trained.finalLoss(), gate == null ? 0 : gate.transition().advanced(),
        gate == null ? 0 : gate.transition().retreated(), from.stages().countByStage(), after.stages().countByStage(),
        after.edits().size(), after.scales(), audit, validation,
        Collections.unmodifiableMap(new LinkedHashMap<>(seconds)), refused,
        gate == null ? List.of() : List.copyOf(gate.keptScale()));
  }

  private static void add(Map<String, Double> seconds, String step, long t0) {
    seconds.merge(step, since(t0), Double::sum);
  }

  private static double since(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
