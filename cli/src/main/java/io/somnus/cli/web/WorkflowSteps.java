package io.somnus.cli.web;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A run's saved workflow history ({@code <data-dir>/histories/<run id>.json}, written by {@code sleep --wait} and
 * {@code history}) read as its steps: each activity with when it was scheduled, when it ended, how, and its failure.
 */
final class WorkflowSteps {
  /**
   * @param outcome completed, failed, timed out or canceled; null while it had not ended when the history was saved
   * @param failure the failure's message, when it failed
   */
  record Step(String activity, Instant scheduled, Instant ended, String outcome, String failure, int attempt) {}

  /** @param result how the workflow itself ended (completed, failed, ...; null if it had not ended) */
  record Timeline(String workflowType, String file, int events, Instant started, Instant ended, String result, List<Step> steps) {}

  private WorkflowSteps() {}

  static Optional<Timeline> read(Path historiesDir, String runId) {
    if (!runId.matches("[A-Za-z0-9._-]{1,200}")) return Optional.empty();
    Path file = historiesDir.resolve(runId + ".json");
    if (!Files.isRegularFile(file)) return Optional.empty();
    WorkflowExecutionHistory history;
    try {
      history = WorkflowExecutionHistory.fromJson(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    List<HistoryEvent> events = history.getEvents();
    List<Step> steps = new ArrayList<>();
    Map<Long, Integer> stepOfScheduled = new HashMap<>();
    String workflowType = null;
    String result = null;
    Instant ended = null;
    for (HistoryEvent e : events) {
      Instant at = Instant.ofEpochSecond(e.getEventTime().getSeconds(), e.getEventTime().getNanos());
      EventType type = e.getEventType();
      switch (type) {
        case EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> workflowType = e.getWorkflowExecutionStartedEventAttributes().getWorkflowType().getName();
        case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> {
          stepOfScheduled.put(e.getEventId(), steps.size());
          steps.add(new Step(e.getActivityTaskScheduledEventAttributes().getActivityType().getName(), at, null, null, null, 1));
        }
        case EVENT_TYPE_ACTIVITY_TASK_STARTED -> update(steps, stepOfScheduled, e.getActivityTaskStartedEventAttributes().getScheduledEventId(),
            s -> new Step(s.activity(), s.scheduled(), null, null, null, e.getActivityTaskStartedEventAttributes().getAttempt()));
        case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> update(steps, stepOfScheduled, e.getActivityTaskCompletedEventAttributes().getScheduledEventId(),
            s -> new Step(s.activity(), s.scheduled(), at, "completed", null, s.attempt()));
        case EVENT_TYPE_ACTIVITY_TASK_FAILED -> update(steps, stepOfScheduled, e.getActivityTaskFailedEventAttributes().getScheduledEventId(),
            s -> new Step(s.activity(), s.scheduled(), at, "failed", e.getActivityTaskFailedEventAttributes().getFailure().getMessage(), s.attempt()));
        case EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT -> update(steps, stepOfScheduled, e.getActivityTaskTimedOutEventAttributes().getScheduledEventId(),
            s -> new Step(s.activity(), s.scheduled(), at, "timed out", e.getActivityTaskTimedOutEventAttributes().getFailure().getMessage(), s.attempt()));
        case EVENT_TYPE_ACTIVITY_TASK_CANCELED -> update(steps, stepOfScheduled, e.getActivityTaskCanceledEventAttributes().getScheduledEventId(),
            s -> new Step(s.activity(), s.scheduled(), at, "canceled", null, s.attempt()));
        case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> {
          result = "completed";
          ended = at;
        }
        case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED -> {
          result = "failed: " + e.getWorkflowExecutionFailedEventAttributes().getFailure().getMessage();
          ended = at;
        }
        case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED -> {
          result = type.name().substring("EVENT_TYPE_WORKFLOW_EXECUTION_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
          ended = at;
        }
        default -> { }
      }
    }
    Instant started = events.isEmpty() ? null
        : Instant.ofEpochSecond(events.get(0).getEventTime().getSeconds(), events.get(0).getEventTime().getNanos());
    return Optional.of(new Timeline(workflowType, file.toString(), events.size(), started, ended, result, steps));
  }

  private static void update(List<Step> steps, Map<Long, Integer> stepOfScheduled, long scheduledId, java.util.function.UnaryOperator<Step> change) {
    Integer i = stepOfScheduled.get(scheduledId);
    if (i != null) steps.set(i, change.apply(steps.get(i)));
  }
}
