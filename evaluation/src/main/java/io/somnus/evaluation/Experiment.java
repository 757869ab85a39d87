package io.somnus.evaluation;

/** One experiment of the suite: a subcommand of {@link EvaluationMain} and a section of the report. */
public interface Experiment {
  /** Subcommand and file stem, e.g. "retrieval". */
  String name();

  ExperimentResult run(RunContext ctx) throws Exception;
}
