package io.somnus.activities;

import java.util.List;
import java.util.Objects;

/**
 * One implementation of every step, as a worker registers them. Heavy and light steps may come from
 * different places (a GPU worker registers only the heavy ones), so {@link #heavy()} and
 * {@link #light()} split them the same way {@link StepOptions} routes them.
 */
public record StepImplementations(HealthCheckActivity healthCheck, CurateActivity curate, AuditActivity audit,
    NullSpaceRefreshActivity refresh, TrainLoraActivity trainLora, FuseToTempActivity fuseToTemp,
    ValidateActivity validate, RebaseActivity rebase, PromoteActivity promote, RollbackActivity rollback,
    ReportActivity report) {

  public StepImplementations {
    Objects.requireNonNull(healthCheck, "healthCheck");
    Objects.requireNonNull(curate, "curate");
    Objects.requireNonNull(audit, "audit");
    Objects.requireNonNull(refresh, "refresh");
    Objects.requireNonNull(trainLora, "trainLora");
    Objects.requireNonNull(fuseToTemp, "fuseToTemp");
    Objects.requireNonNull(validate, "validate");
    Objects.requireNonNull(rebase, "rebase");
    Objects.requireNonNull(promote, "promote");
    Objects.requireNonNull(rollback, "rollback");
    Objects.requireNonNull(report, "report");
  }

  /** Steps that load the model: scheduled on {@link StepQueues#heavy(boolean)}. */
  public List<Object> heavy() {
    return List.of(healthCheck, audit, refresh, trainLora, fuseToTemp, validate, rebase);
  }

  /** Bookkeeping steps: always on {@link StepQueues#CPU}. */
  public List<Object> light() {
    return List.of(curate, promote, rollback, report);
  }
}
