package io.somnus.workflows;

import io.somnus.activities.AuditActivity;
import io.somnus.activities.BadStepInputException;
import io.somnus.activities.CurateActivity;
import io.somnus.activities.FactState;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.activities.HealthCheckActivity;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.PromoteActivity;
import io.somnus.activities.RebaseActivity;
import io.somnus.activities.StepProgress;
import io.somnus.activities.ReportActivity;
import io.somnus.activities.RollbackActivity;
import io.somnus.activities.StepImplementations;
import io.somnus.activities.TrainLoraActivity;
import io.somnus.activities.ValidateActivity;
import io.somnus.engine.train.TrainingDivergedException;
import io.temporal.activity.Activity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hand-written stand-ins for the steps over a tiny in-memory "store": a live alias, versions made of
 * fact stages, stored adapters by run. Behaviour is switched per test through the public fields.
 */
final class FakeSteps {
  /** Shared "object store": survives a worker being shut down, like S3 would. */
  final Map<String, String> adaptersByRun = new ConcurrentHashMap<>();
  final Map<String, List<FactState>> versions = new ConcurrentHashMap<>();
  volatile String live = "mv-base";
  volatile String previous;
  /** Versions a wake write made on top of the one before (what Promote may rebase over); others supersede a sleep. */
  final java.util.Set<String> wakeWrites = ConcurrentHashMap.newKeySet();
  final List<RebaseActivity.Input> rebases = Collections.synchronizedList(new ArrayList<>());
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  final Map<String, String> queueOfStep = new ConcurrentHashMap<>();
  final List<ReportActivity.Input> reports = Collections.synchronizedList(new ArrayList<>());
  /** Training diverges, as a seeded attempt at too high a rate does every time it runs. */
  volatile boolean trainDiverges;
  final AtomicInteger trainAttempts = new AtomicInteger();
  final AtomicInteger trainedFromScratch = new AtomicInteger();
  /** Live version as TrainLora saw it on each attempt. */
  final List<String> liveDuringTraining = Collections.synchronizedList(new ArrayList<>());

  volatile List<String> degraded = List.of();
  volatile boolean approve = true;
  /** Edits Validate reports the gate kept at their scale. */
  volatile List<String> keptScale = List.of();
  /** With {@code approve}: candidates Validate refuses before it approves one. */
  volatile int refusalsBeforeApproval;
  final AtomicInteger validations = new AtomicInteger();
  /** Attempt number and learning rate of each TrainLora call. */
  final List<Integer> trainedAttempts = Collections.synchronizedList(new ArrayList<>());
  final List<Float> learningRates = Collections.synchronizedList(new ArrayList<>());
  volatile int trainFailuresBeforeSuccess;
  volatile boolean trainBadInput;
  /** Training hands back the same adapter on every attempt (as when no check is free of loss: the untrained ones). */
  volatile boolean sameAdapterEveryAttempt;
  /** Runs once while the first training attempt works, e.g. a wake write. */
  volatile Runnable duringTraining;
  /** When set, TrainLora heartbeats and waits on it (to hold a sleep open or kill its worker). */
  volatile CountDownLatch trainGate;
  final CountDownLatch trainStarted = new CountDownLatch(1);
  /** When set, TrainLora stores its adapter and then hangs on it (heartbeating): a crash after the upload. */
  volatile CountDownLatch afterStoreGate;
  final CountDownLatch adapterStored = new CountDownLatch(1);

  FakeSteps(int unconsolidatedFacts, int consolidatedFacts) {
    List<FactState> facts = new ArrayList<>();
    for (int i = 0; i < unconsolidatedFacts; i++) facts.add(fact("f" + i, 0));
    for (int i = 0; i < consolidatedFacts; i++) facts.add(fact("c" + i, 3));
    versions.put(live, facts);
  }

  static FactState fact(String id, int stage) {
    return new FactState(id, "Person " + id, "lives in", "Town " + id, stage < 3 ? "e-" + id : null, stage,
        new float[] {1f, 0.5f, 0.1f, 0f}[stage], null, null);
  }

  private void record(String step) {
    calls.add(step);
    queueOfStep.put(step, Activity.getExecutionContext().getInfo().getActivityTaskQueue());
  }

  /** Run id plus the attempt, for names that a retry after a refusal must not share with the attempt before. */
  static String ofAttempt(String runId, int attempt) {
    return attempt == 0 ? runId : runId + "-attempt-" + (attempt + 1);
  }

  private List<FactState> factsOf(String version) {
    List<FactState> f = versions.get(version);
    if (f == null) throw new BadStepInputException("no such version " + version);
    return f;
  }

  StepImplementations implementations() {
    return new StepImplementations(new Health(), new Curate(), new Audit(), new Refresh(), new Train(), new Fuse(),
        new Validate(), new Rebase(), new Promote(), new Rollback(), new Report());
  }

  /** A wake write while a sleep runs: one new fact on top of live. */
  void teach(String factId) {
    List<FactState> facts = new ArrayList<>(factsOf(live));
    facts.add(fact(factId, 0));
    String next = live + "+" + factId;
    versions.put(next, facts);
    wakeWrites.add(next);
    previous = live;
    live = next;
  }

  class Health implements HealthCheckActivity {
    @Override
    public Report healthCheck(Input input) {
      record("HealthCheck");
      List<FactState> f = factsOf(live);
      return new Report(live, f.size(), (int) f.stream().filter(x -> !x.consolidated()).count(), 12.5);
    }
  }

  class Curate implements CurateActivity {
    @Override
    public Result curate(Input input) {
      record("Curate");
      List<FactState> f = factsOf(input.liveVersionId());
      List<String> ids = f.stream().filter(x -> !x.consolidated()).map(FactState::factId).limit(input.maxFacts()).toList();
      return new Result(ids, f.size(), f.size() - ids.size());
    }
  }

  class Audit implements AuditActivity {
    @Override
    public Report audit(Input input) {
      record("Audit");
      List<FactState> f = factsOf(input.versionId());
      return new Report(f.size(), f.size() - degraded.size(), degraded, 1.0 - (double) degraded.size() / Math.max(1, f.size()), f);
    }
  }

  class Refresh implements NullSpaceRefreshActivity {
    @Override
    public Result refresh(Input input) {
      record("NullSpaceRefresh");
      String working = input.versionId() + "+refresh";
      versions.put(working, factsOf(input.versionId()));
      return new Result(working, input.degradedFactIds(), List.of());
    }
  }

  class Train implements TrainLoraActivity {
    @Override
    public Result trainLora(Input input) {
      record("TrainLora");
      trainAttempts.incrementAndGet();
      liveDuringTraining.add(live);
      trainedAttempts.add(input.attempt());
      learningRates.add(input.settings().learningRate());
      trainStarted.countDown();
      if (trainBadInput) throw new BadStepInputException("fact ids not in version " + input.versionId());
      if (trainDiverges) throw new TrainingDivergedException(28, 1.15, "LoRA answer loss (simulated)");
      String run = sameAdapterEveryAttempt ? input.runId() : ofAttempt(input.runId(), input.attempt());
      String stored = adaptersByRun.get(run);
      if (stored != null) return new Result(stored, 30, 2.0, 0.1, true, 20);
      if (trainFailuresBeforeSuccess > 0) {
        trainFailuresBeforeSuccess--;
        throw new IllegalStateException("CUDA out of memory (simulated)");
      }
      CountDownLatch gate = trainGate;
      if (gate != null) {
        var ctx = Activity.getExecutionContext();
        try {
          while (!gate.await(200, TimeUnit.MILLISECONDS)) ctx.heartbeat(new StepProgress("training", 1, 30, 2.0));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("worker stopped mid-training", e);
        }
      }
      Runnable during = duringTraining;
      duringTraining = null;
      if (during != null) during.run();
      trainedFromScratch.incrementAndGet();
      String key = "sha256/adapter-" + run;
      adaptersByRun.put(run, key);
      adapterStored.countDown();
      CountDownLatch hang = afterStoreGate;
      if (hang != null) {
        var ctx = Activity.getExecutionContext();
        try {
          while (!hang.await(200, TimeUnit.MILLISECONDS)) ctx.heartbeat(new StepProgress("training", 30, 30, 0.1));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("worker stopped before reporting the trained adapter", e);
        }
      }
      return new Result(key, 30, 2.0, 0.1, false, 20);
    }
  }

  class Fuse implements FuseToTempActivity {
    @Override
    public Result fuseToTemp(Input input) {
      record("FuseToTemp");
      String candidate = "mv-cand-" + ofAttempt(input.runId(), input.attempt());
      versions.put(candidate, factsOf(input.versionId()));
      return new Result(candidate);
    }
  }

  class Validate implements ValidateActivity {
    @Override
    public Result validate(Input input) {
      record("Validate");
      List<FactState> gated = factsOf(input.candidateVersionId()).stream()
          .map(f -> input.factIds().contains(f.factId()) ? f.withStage(f.stage() + 1, f.stage() == 0 ? 0.5f : 0.1f) : f)
          .toList();
      String gatedId = input.candidateVersionId() + "-gated";
      versions.put(gatedId, gated);
      boolean approve = FakeSteps.this.approve && validations.getAndIncrement() >= refusalsBeforeApproval;
      return new Result(approve, gatedId, 0.9, approve ? 0.95 : 0.4, 12.5, approve ? 12.7 : 30.0,
          approve ? input.factIds().size() : 0, 0, approve ? List.of() : List.of("perplexity rose 140%"), gated,
          Map.of("validation_max_perplexity_drift", "0.02"), keptScale);
    }
  }

  class Rebase implements RebaseActivity {
    @Override
    public Result rebase(Input input) {
      record("Rebase");
      rebases.add(input);
      List<String> base = factsOf(input.baseVersionId()).stream().map(FactState::factId).toList();
      List<FactState> carried = factsOf(input.liveVersionId()).stream().filter(f -> !base.contains(f.factId())).toList();
      List<FactState> facts = new ArrayList<>(factsOf(input.candidateVersionId()));
      facts.addAll(carried);
      String rebased = input.candidateVersionId() + "-onto-" + input.liveVersionId();
      versions.put(rebased, facts);
      return new Result(rebased, carried.stream().map(FactState::factId).toList(), List.of(), facts);
    }
  }

  class Promote implements PromoteActivity {
    @Override
    public Result promote(Input input) {
      record("Promote");
      if (live.equals(input.versionId())) return new Result(Status.ALREADY_LIVE, live, previous, null);
      if (!live.equals(input.expectedLiveVersionId())) {
        String how = "live moved from " + input.expectedLiveVersionId() + " to " + live;
        return wakeWrites.contains(live) ? new Result(Status.LIVE_MOVED_BY_WAKE, live, previous, how)
            : new Result(Status.SUPERSEDED, live, previous, how + " by another promotion or a rollback");
      }
      previous = live;
      live = input.versionId();
      return new Result(Status.PROMOTED, live, previous, null);
    }
  }

  class Rollback implements RollbackActivity {
    @Override
    public Result rollback(Input input) {
      record("Rollback");
      String target = input.targetVersionId() != null ? input.targetVersionId() : previous;
      if (target == null || !versions.containsKey(target)) throw new BadStepInputException("no version to roll back to: " + target);
      String from = live;
      previous = live;
      live = target;
      return new Result(from, target);
    }
  }

  class Report implements ReportActivity {
    @Override
    public Result report(Input input) {
      record("Report");
      reports.add(input);
      return new Result("track-" + input.runId(), input.facts().size());
    }
  }
}
