package io.somnus.engine.sleep;

/**
 * How far a long piece of sleep work got, reported from inside its loop: a worker turns it into a heartbeat, so a step
 * that is still working is never taken for a dead one, and a step that stopped reporting is.
 */
@FunctionalInterface
public interface Progress {
  /** Ignores every report. */
  Progress NONE = (phase, done, total) -> {};

  /**
   * @param phase what is being done, e.g. "chat recall"
   * @param done items finished so far in this phase
   * @param total items in this phase
   */
  void at(String phase, int done, int total);
}
