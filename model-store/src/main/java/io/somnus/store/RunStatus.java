package io.somnus.store;

/** Lifecycle of a tracked run; the names and meanings are MLflow's. */
public enum RunStatus { RUNNING, SCHEDULED, FINISHED, FAILED, KILLED }
