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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sleep as plain Java: audit → train LoRA → fuse-to-temp → gate → validate → promote or roll
 * back. The live model is only read (audit); everything else happens on a candidate built from a
 * copy of the fused weights, and only a validated candidate is written, as a new checkpoint
 * directory next to the old one. The Temporal workflow runs the same steps as separate activities.
 */
public final class SleepCycle {

  /**
   * @param rawStatements also train on "subject relation → object" so raw completion keeps a fact
   *     after its MEMIT edit dissolves
   * @param versionsDir where promoted fused checkpoints are written ({@code fused-0001}, …)
   */
  public record Settings(LoraConfig lora, ValidationConfig validation, ProbeSet probes, ReplaySet replay,
      FactQuestions questions, int recallTokens, boolean rawStatements, Path versionsDir, Device device) {
    public Settings withLora(LoraConfig other) {
      return new Settings(other, validation, probes, replay, questions, recallTokens, rawStatements, versionsDir, device);
    }

    public Settings withReplay(ReplaySet other) {
      return new Settings(lora, validation, probes, other, questions, recallTokens, rawStatements, versionsDir, device);
    }
  }

  /** Progress, e.g. for activity heartbeats. */
  public interface Listener {
    void step(String name);

    default void trainingStep(int step, int total, double loss) {}
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
    int[] before = state.stages().countByStage();
    if (facts.isEmpty() || state.edits().stream().allMatch(e -> state.stages().dissolved(e))) {
      return new Outcome(report(SleepReport.Status.SKIPPED, "no facts to consolidate", state, facts, null, null, null,
          before, state, null, seconds), state, null);
    }
    l.step("audit");
    long t = System.nanoTime();
    if (audit == null) audit = validator.measure(live, facts);
    List<QaExample> rehearsal = settings.replay().examples(live, state.stages().leastConsolidatedFirst(), settings.questions());
    seconds.put("audit", since(t));

    l.step("train");
    t = System.nanoTime();
    Checkpoint.Contents parent = Checkpoint.load(state.fusedCheckpoint());
    LoraTrainer.Result trained;
    try {
      trained = SleepTraining.train(state, parent, facts, rehearsal, settings.questions(), settings.rawStatements(),
          settings.lora(), settings.device(), l::trainingStep);
    } catch (TrainingDivergedException e) {
      seconds.put("train", since(t));
      return new Outcome(report(SleepReport.Status.FAILED, e.getMessage(), state, facts, null, audit, null, before,
          state, null, seconds), state, null);
    }
    seconds.put("train", since(t));
    l.step("fuse");
    t = System.nanoTime();
    Map<String, HostTensor> fused;
    try (TrainedAdapters adapters = trained.adapters()) {
      fused = Fuse.merge(parent.tensors(), adapters);
    } catch (NonFiniteWeightsException e) {
      seconds.put("fuse", since(t));
      return new Outcome(report(SleepReport.Status.FAILED, e.getMessage(), state, facts, trained, audit, null, before,
          state, null, seconds), state, null);
    }
    seconds.put("fuse", since(t));

    l.step("gate");
    t = System.nanoTime();
    ComposedModel candidate = ComposedModel.of(parent.config(), fused, state.fusedCheckpoint(), state.edits(),
        state.scales(), settings.device());
    boolean handedOver = false;
    try {
      ConsolidationGate.Result gate = new ConsolidationGate(recall).run(candidate, state.stages());
      seconds.put("gate", since(t));

      l.step("validate");
      t = System.nanoTime();
      ValidationReport validation = validator.validate(audit, candidate.runtime(), facts);
      seconds.put("validate", since(t));
      if (!validation.passed()) {
        return new Outcome(report(SleepReport.Status.ROLLED_BACK, String.join("; ", validation.reasons()), state, facts,
            trained, audit, validation, before, state, null, seconds), state, null);
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
      seconds.put("promote", since(t));
      handedOver = true;
      return new Outcome(report(SleepReport.Status.PROMOTED, "", state, facts, trained, audit, validation, before, next,
          gate, seconds), next, candidate);
    } finally {
      if (!handedOver) candidate.close();
    }
  }

  private static SleepReport report(SleepReport.Status status, String reason, MemoryState from, List<Fact> facts,
      LoraTrainer.Result trained, Measurement audit, ValidationReport validation, int[] before, MemoryState after,
      ConsolidationGate.Result gate, Map<String, Double> seconds) {
    return new SleepReport(status, reason, after.generation(), facts.size(), trained == null ? 0 : trained.examples(),
        trained == null ? 0 : trained.steps(), trained == null ? Double.NaN : trained.firstLoss(),
        trained == null ? Double.NaN : trained.finalLoss(), gate == null ? 0 : gate.transition().advanced(),
        gate == null ? 0 : gate.transition().retreated(), before, after.stages().countByStage(), after.edits().size(),
        after.scales(), audit, validation, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(seconds)));
  }

  private static double since(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
