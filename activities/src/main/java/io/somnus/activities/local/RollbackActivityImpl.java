package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.RollbackActivity;
import io.somnus.store.Aliases;

/** Moves {@code live} back to {@code previous}, or to any earlier version; nothing is deleted. */
final class RollbackActivityImpl implements RollbackActivity {
  private final StepServices steps;

  RollbackActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result rollback(Input in) {
    Result moved = steps.journal.once(in.runId(), "rollback", Result.class, () -> {
      Aliases a = steps.registry().aliases();
      if (in.targetVersionId() == null) {
        if (a.previous() == null) throw new BadStepInputException("there is no previous version to roll back to");
        Aliases after = steps.registry().rollback(in.runId(), a.generation());
        return new Result(a.live(), after.live());
      }
      steps.version(in.targetVersionId());
      Aliases after = steps.registry().promote(in.targetVersionId(), in.runId(), a.generation());
      return new Result(a.live(), after.live());
    });
    steps.mirrorRegistry();
    return moved;
  }
}
