package io.somnus.activities.local;

import io.somnus.activities.PromoteActivity;
import io.somnus.store.AliasConflictException;
import io.somnus.store.Aliases;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import java.util.Optional;

/**
 * Step 8: moves {@code live} to the approved version by compare-and-set, only over the version the sleep started from.
 * When live moved meanwhile, nothing is moved and the result says whether wake writes alone moved it.
 */
final class PromoteActivityImpl implements PromoteActivity {
  /** A wake write chain longer than this between two sleeps is not looked through: the sleep is superseded. */
  static final int MAX_WAKE_HOPS = 10_000;

  private final StepServices steps;

  PromoteActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result promote(Input in) {
    steps.version(in.versionId()); // an unknown version is an input error, before any alias is read
    ModelRegistry registry = steps.registry();
    while (true) {
      Aliases a = registry.aliases();
      if (in.versionId().equals(a.live())) return new Result(Status.ALREADY_LIVE, a.live(), a.previous(), null);
      if (!a.live().equals(in.expectedLiveVersionId())) {
        String how = "live moved from " + in.expectedLiveVersionId() + " to " + a.live() + " during the sleep";
        return movedByWakeOnly(in.expectedLiveVersionId(), a.live())
            ? new Result(Status.LIVE_MOVED_BY_WAKE, a.live(), a.previous(), how + " (facts taught meanwhile)")
            : new Result(Status.SUPERSEDED, a.live(), a.previous(), how + " by another promotion or a rollback");
      }
      try {
        Aliases after = registry.promote(in.versionId(), in.runId(), a.generation());
        steps.mirrorRegistry();
        return new Result(Status.PROMOTED, after.live(), after.previous(), null);
      } catch (AliasConflictException raced) {
        // someone moved live between our read and our write: judge again what they did
      }
    }
  }

  /**
   * Whether {@code live} descends from {@code base} through versions that each changed only MEMIT edits (same fused
   * checkpoint, same LoRA history as their parent): what wake writes make. A rollback or another sleep's promotion
   * breaks the chain.
   */
  private boolean movedByWakeOnly(String base, String live) {
    ModelVersion v = steps.version(live);
    for (int hop = 0; hop < MAX_WAKE_HOPS; hop++) {
      Optional<ModelVersion> parent = Optional.ofNullable(v.parentId()).map(steps::version);
      if (parent.isEmpty() || !onlyEditsChanged(parent.get(), v)) return false;
      if (parent.get().id().equals(base)) return true;
      v = parent.get();
    }
    return false;
  }

  private static boolean onlyEditsChanged(ModelVersion parent, ModelVersion child) {
    return parent.checkpoint().equals(child.checkpoint()) && parent.loraHistory().equals(child.loraHistory());
  }
}
