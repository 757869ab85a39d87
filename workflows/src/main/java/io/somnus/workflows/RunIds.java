package io.somnus.workflows;

import io.temporal.workflow.WorkflowInfo;

/** Somnus run ids: one id names a run in Temporal, the registry, the fact ledger and tracking. */
public final class RunIds {
  private RunIds() {}

  /** Deterministic fallback when the starter gave none: workflow id plus the start of Temporal's run id. */
  static String derive(WorkflowInfo info) {
    String run = info.getRunId();
    return info.getWorkflowId() + "-" + run.substring(0, Math.min(8, run.length()));
  }

  /** A fresh run id for a starter (CLI, lifecycle entity): kind, model and a UTC timestamp. */
  public static String fresh(String kind, String modelId, long epochMillis) {
    var t = java.time.Instant.ofEpochMilli(epochMillis).atZone(java.time.ZoneOffset.UTC);
    return String.format("%s-%s-%04d%02d%02d-%02d%02d%02d-%03d", kind, modelId, t.getYear(), t.getMonthValue(),
        t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1_000_000);
  }
}
