package io.somnus.infra;

import io.somnus.activities.local.LocalSteps;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sleeps the embedded Temporal service lost when it stopped: their finished steps are in the step journal, so starting
 * the same request again under the same run id reads those back and does only what was left.
 */
public final class SleepRecovery {
  private static final Logger log = LoggerFactory.getLogger(SleepRecovery.class);

  private SleepRecovery() {}

  /**
   * Starts again the newest sleep of the services' model that began and never reported. Older unfinished ones are
   * left as they are (live has moved on since) and logged.
   *
   * @return the run id of the sleep started again, if there was one
   */
  public static Optional<String> resumeUnfinished(SomnusServices services) {
    String model = services.config().modelId();
    List<LocalSteps.UnfinishedRun> unfinished = LocalSteps.unfinishedRuns(services.objectStore()).stream()
        .filter(r -> model.equals(r.request().path("modelId").asText()))
        .toList();
    if (unfinished.isEmpty()) return Optional.empty();
    for (LocalSteps.UnfinishedRun older : unfinished.subList(0, unfinished.size() - 1)) {
      log.warn("sleep {} of {} began {} and never finished; a later sleep supersedes it", older.runId(), model, older.started());
    }
    LocalSteps.UnfinishedRun newest = unfinished.get(unfinished.size() - 1);
    SleepRequest request = SleepRequest.fromJson(newest.request());
    try {
      SleepWorkflows.startSleep(services.workflowClient(), request);
      return Optional.of(request.runId());
    } catch (WorkflowExecutionAlreadyStarted running) {
      return Optional.empty(); // a sleep of this model already runs: the service did not lose it
    }
  }
}
