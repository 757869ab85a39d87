package io.somnus.infra;

import io.somnus.activities.StepImplementations;

/**
 * Builds the activity implementations a worker hosts, on the services of its process (artifact
 * store, tracking, local data folder). Kept apart from the worker so tests and the dev stack can plug
 * in the real adapters or stand-ins without changing how workers start.
 */
@FunctionalInterface
public interface StepsFactory {
  StepImplementations create(SomnusServices services);
}
