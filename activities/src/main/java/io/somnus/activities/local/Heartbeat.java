package io.somnus.activities.local;

import io.somnus.activities.StepProgress;
import io.somnus.engine.sleep.Progress;
import io.temporal.activity.Activity;

/** Engine progress as activity heartbeats with {@link StepProgress} details (the SDK throttles what it sends). */
final class Heartbeat {
  private Heartbeat() {}

  /** Heartbeats of the activity running on this thread. */
  static Progress of() {
    var context = Activity.getExecutionContext();
    return (phase, done, total) -> context.heartbeat(new StepProgress(phase, done, total, null));
  }

  /** One heartbeat now, before work that reports nothing itself (loading a model). */
  static void beat(String phase) {
    Activity.getExecutionContext().heartbeat(new StepProgress(phase, 0, 1, null));
  }
}
