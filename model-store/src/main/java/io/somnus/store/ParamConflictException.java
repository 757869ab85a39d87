package io.somnus.store;

import java.util.List;

/**
 * A run already holds some of the parameters being logged, with different values. MLflow keeps a run's parameters
 * immutable (its server refuses the whole batch with 400), so nothing of the batch was logged. A parameter that really
 * changes during a run (a retry's learning rate, say) needs its own key, e.g. {@code lora_lr_last_attempt}.
 */
public final class ParamConflictException extends TrackingException {
  /** One parameter whose logged value differs from the one being logged. */
  public record Conflict(String key, String logged, String attempted) {}

  private final String runId;
  private final List<Conflict> conflicts;

  public ParamConflictException(String runId, List<Conflict> conflicts) {
    super(message(runId, conflicts));
    this.runId = runId;
    this.conflicts = List.copyOf(conflicts);
  }

  public String runId() {
    return runId;
  }

  public List<Conflict> conflicts() {
    return conflicts;
  }

  private static String message(String runId, List<Conflict> conflicts) {
    StringBuilder sb = new StringBuilder("run " + runId + ": parameters cannot change once logged, nothing was logged: ");
    for (int i = 0; i < conflicts.size(); i++) {
      Conflict c = conflicts.get(i);
      if (i > 0) sb.append("; ");
      sb.append(c.key()).append(" is '").append(c.logged()).append("', not '").append(c.attempted()).append("'");
    }
    return sb.append(". Log a changing value under its own key (or as a tag, which may change).").toString();
  }
}
