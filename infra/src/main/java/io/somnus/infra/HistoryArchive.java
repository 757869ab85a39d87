package io.somnus.infra;

import io.somnus.engine.io.AtomicFiles;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.nio.file.Path;

/**
 * Saves workflow histories of real runs as JSON under {@code <dataDir>/histories/}, so they outlive
 * the in-memory Temporal service and can be replayed against later code ({@link HistoryReplayer}).
 */
public final class HistoryArchive {
  private final Path dir;

  public HistoryArchive(Path dir) {
    this.dir = dir;
  }

  public static HistoryArchive of(SomnusConfig config) {
    return new HistoryArchive(config.dataDir().resolve("histories"));
  }

  public Path dir() {
    return dir;
  }

  /**
   * Fetches the history of one execution and writes it to {@code <name>.json} (temp file + rename).
   *
   * @param runId Temporal run id; null for the latest run of the workflow id
   * @param name file name without extension, e.g. the Somnus run id
   */
  public Path save(WorkflowClient client, String workflowId, String runId, String name) {
    WorkflowExecutionHistory history = runId == null ? client.fetchHistory(workflowId) : client.fetchHistory(workflowId, runId);
    return write(history, name);
  }

  public Path write(WorkflowExecutionHistory history, String name) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,200}")) throw new IllegalArgumentException("invalid history file name: " + name);
    Path target = dir.resolve(name + ".json");
    AtomicFiles.write(target, history.toJson(true));
    return target;
  }
}
