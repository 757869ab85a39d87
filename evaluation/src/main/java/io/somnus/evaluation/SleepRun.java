package io.somnus.evaluation;

import io.somnus.activities.local.TrainingChecks;
import io.somnus.store.TrackedRun;
import io.somnus.workflows.SleepOutcome;
import io.somnus.workflows.SleepResult;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sleep of the product as the evaluation reports it, read from the product's own records: the workflow's result,
 * its tracked run (training steps and losses, every refused attempt and why) and its workflow history (wall time of
 * every step, retries included).
 *
 * @param result what the workflow returned; null when it failed (then {@code reason} says why)
 * @param reason why it was not promoted (validation's reasons, or the failure); blank when promoted
 * @param refusedAttempts why validation refused each attempt before the last (each was followed by training again)
 * @param attempts candidates trained (0 when the sleep trained nothing)
 * @param trainingSteps, keptStep, firstLoss, finalLoss the last attempt's training ({@code keptStep} 0: its untrained
 *     adapters were handed on); 0 and NaN when it did not train
 * @param stepSeconds wall seconds per step (activity type), every attempt and retry added up
 * @param seconds the whole sleep, from the workflow's start to its close
 * @param checks every training attempt's recall checks, in attempt order
 */
record SleepRun(String runId, SleepOutcome outcome, SleepResult result, String reason, List<String> refusedAttempts,
    int attempts, int trainingSteps, int keptStep, double firstLoss, double finalLoss, Map<String, Double> stepSeconds,
    double seconds, List<TrainingChecks> checks) {

  boolean promoted() {
    return outcome == SleepOutcome.PROMOTED;
  }

  /** Chat recall of the live model on its facts when the sleep began (validation's baseline); NaN if none was taken. */
  double chatRecallBefore() {
    return result == null || result.versions().validated() == null ? Double.NaN : result.quality().recallBefore();
  }

  List<String> keptScale() {
    return result == null ? List.of() : result.keptScaleEditIds();
  }

  static SleepRun of(String runId, SleepResult result, String failure, TrackedRun tracked, WorkflowExecutionHistory history,
      List<TrainingChecks> checks) {
    Map<String, String> p = tracked.params();
    Map<String, Double> m = tracked.latestMetrics();
    SleepOutcome outcome = result != null ? result.outcome() : SleepOutcome.FAILED;
    int attempts = (int) Math.round(m.getOrDefault("attempts", 0.0));
    List<String> refused = new ArrayList<>();
    for (int i = 1; i < attempts; i++) {
      String why = p.get("attempt_" + i + "_refused");
      if (why != null) refused.add(why);
    }
    String reason = outcome == SleepOutcome.PROMOTED ? "" : p.getOrDefault("reason", failure == null ? "" : failure);
    int steps = (int) Math.round(m.getOrDefault("lora_steps", 0.0));
    return new SleepRun(runId, outcome, result, reason, refused, attempts, steps,
        (int) Math.round(m.getOrDefault("lora_kept_step", (double) steps)), m.getOrDefault("lora_loss_first", Double.NaN),
        m.getOrDefault("lora_loss_final", Double.NaN), stepSeconds(history), seconds(history), List.copyOf(checks));
  }

  /** Seconds from each activity's scheduling to its end, by activity type, in the order the steps first ran. */
  static Map<String, Double> stepSeconds(WorkflowExecutionHistory history) {
    Map<Long, HistoryEvent> scheduled = new HashMap<>();
    Map<String, Double> out = new LinkedHashMap<>();
    for (HistoryEvent e : history.getEvents()) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        scheduled.put(e.getEventId(), e);
        out.putIfAbsent(e.getActivityTaskScheduledEventAttributes().getActivityType().getName(), 0.0);
        continue;
      }
      long from = switch (e.getEventType()) {
        case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> e.getActivityTaskCompletedEventAttributes().getScheduledEventId();
        case EVENT_TYPE_ACTIVITY_TASK_FAILED -> e.getActivityTaskFailedEventAttributes().getScheduledEventId();
        case EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT -> e.getActivityTaskTimedOutEventAttributes().getScheduledEventId();
        default -> -1;
      };
      HistoryEvent s = scheduled.get(from);
      if (s != null) {
        out.merge(s.getActivityTaskScheduledEventAttributes().getActivityType().getName(), between(s, e), Double::sum);
      }
    }
    return out;
  }

  static double seconds(WorkflowExecutionHistory history) {
    List<HistoryEvent> events = history.getEvents();
    return between(events.get(0), events.get(events.size() - 1));
  }

  private static double between(HistoryEvent from, HistoryEvent to) {
    var a = from.getEventTime();
    var b = to.getEventTime();
    return (b.getSeconds() - a.getSeconds()) + (b.getNanos() - a.getNanos()) / 1e9;
  }

  /** The innermost message of a failed workflow: the sleep's own reason, not Temporal's wrapping. */
  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String message = c instanceof ApplicationFailure f ? f.getOriginalMessage() : c.getMessage();
    return message == null ? c.getClass().getSimpleName() : message;
  }
}
