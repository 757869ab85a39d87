package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.StepProgress;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.SafeTensors;
import io.somnus.engine.sleep.LoraConfig;
import io.somnus.engine.sleep.LoraTrainer;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.QaExample;
import io.somnus.engine.sleep.ReplaySet;
import io.somnus.engine.sleep.SleepTraining;
import io.somnus.engine.sleep.TrainedAdapters;
import io.somnus.store.RunTracker;
import io.temporal.activity.Activity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Step 5: LoRA adapters that teach the facts to the version's fused weights, rehearsing what the weights answered before
 * the wake's edits; stored as one content-addressed safetensors blob. Each attempt of a sleep is journaled apart.
 */
final class TrainLoraActivityImpl implements TrainLoraActivity {
  /** Safetensors metadata key of the adapters' scale (alpha / rank). */
  static final String ADAPTER_SCALE = "somnus.lora_scale";

  private final StepServices steps;

  TrainLoraActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result trainLora(Input in) {
    String journalStep = StepServices.attemptStep("train-lora", in.attempt());
    var done = steps.journal.find(in.runId(), journalStep, Result.class);
    if (done.isPresent() && steps.store().exists(done.get().adapterKey())) {
      Result r = done.get();
      return new Result(r.adapterKey(), r.steps(), r.firstLoss(), r.finalLoss(), true, r.keptStep());
    }
    MemoryState state = steps.states.state(steps.version(in.versionId()));
    List<Fact> facts = StepServices.select(state.stages(), in.factIds());
    if (facts.isEmpty()) throw new BadStepInputException("no facts to train on");
    Settings s = in.settings();
    LoraConfig lora = steps.settings.lora().forCheckpoint(state.fusedCheckpoint()).withLearningRate(s.learningRate())
        .withSteps(s.minSteps(), s.stepsPerFact(), s.maxSteps()).withSeed(s.seed());

    var context = Activity.getExecutionContext();
    context.heartbeat(new StepProgress("rehearsal answers", 0, 1, null));
    Checkpoint.Contents fused = Checkpoint.load(state.fusedCheckpoint());
    List<Fact> leastConsolidatedFirst = facts.stream().sorted(Comparator.comparingInt(f -> state.stages().stage(f).level())).toList();
    List<QaExample> rehearsal = SleepTraining.rehearsal(steps.settings.replay().window(state.generation(), ReplaySet.TEXTS_PER_SLEEP),
        state, fused, leastConsolidatedFirst, steps.settings.questions(), steps.settings.device(),
        (phase, answered, total) -> context.heartbeat(new StepProgress(phase, answered, total, null)));
    List<LoraTrainer.RecallCheck> checks = new ArrayList<>();
    Instant trainingFrom = Instant.now();
    LoraTrainer.Result trained = SleepTraining.train(state, fused, facts, rehearsal, steps.settings.questions(),
        steps.settings.rawStatements(), lora, steps.settings.validation(), steps.settings.device(), new LoraTrainer.Listener() {
          @Override
          public void onStep(int step, int total, double loss) {
            context.heartbeat(new StepProgress("training", step, total, loss));
          }

          @Override
          public void onCheck(LoraTrainer.RecallCheck check) {
            checks.add(check);
          }
        });
    Instant trainingTo = Instant.now();
    Map<String, HostTensor> factors;
    float scale;
    try (TrainedAdapters a = trained.adapters()) {
      factors = a.toHost();
      scale = a.scale();
    }
    Result r = new Result(storeAdapter(factors, scale), trained.steps(), trained.firstLoss(), trained.finalLoss(), false,
        trained.keptStep());
    // Before the result: a resumed attempt that finds its result finds what its training learned and forgot too.
    steps.journal.record(in.runId(), StepServices.attemptStep(TrainingChecks.STEP, in.attempt()),
        new TrainingChecks(checks, trained.keptStep()));
    steps.journal.record(in.runId(), journalStep, r);
    steps.bestEffort("log the LoRA loss of " + in.runId(), runs -> {
      runs.logParams(in.runId(), trainedWith(lora));
      runs.logCurve(in.runId(), RunTracker.loraLossKey(in.attempt()), trained.losses(), trainingFrom, trainingTo);
      runs.linkArtifacts(in.runId(), Map.of(RunTracker.adapterArtifact(in.attempt()), steps.store().uri(r.adapterKey())));
    });
    return r;
  }

  /**
   * The adapter's shape and distillation as the model's sleep settings chose them: the same for every attempt of a run
   * (the attempts differ in rate and seed, which the run's parameters already record).
   */
  static Map<String, String> trainedWith(LoraConfig lora) {
    Map<String, String> p = new java.util.LinkedHashMap<>();
    p.put("lora_rank", Integer.toString(lora.rank()));
    p.put("lora_alpha", Float.toString(lora.alpha()));
    p.put("lora_projections", String.join(",", lora.projections()));
    p.put("lora_distill_weight", Float.toString(lora.distillWeight()));
    p.put("lora_distill_top_k", Integer.toString(lora.distillTopK()));
    return p;
  }

  private String storeAdapter(Map<String, HostTensor> factors, float scale) {
    try {
      Path tmp = Files.createTempFile("somnus-adapter", ".safetensors");
      try {
        SafeTensors.write(tmp, factors.values(), Map.of(ADAPTER_SCALE, Float.toString(scale)));
        return steps.store().put(tmp);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the trained adapter", e);
    }
  }
}
