/**
 * Temporal activities of a sleep: one interface per step, with Jackson-friendly records as inputs and
 * outputs. Every step is idempotent for its (run id, step) pair: a retried or replayed step finds
 * what it already stored and returns it instead of redoing the work.
 *
 * <p>Heavy steps (those that load the model) run on task queue {@value StepQueues#GPU} when GPU
 * workers are configured and on {@value StepQueues#CPU} otherwise; {@link StepOptions} holds the
 * timeouts, heartbeats and retry policies the workflows use.
 */
package io.somnus.activities;
