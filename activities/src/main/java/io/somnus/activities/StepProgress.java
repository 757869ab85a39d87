package io.somnus.activities;

/**
 * Heartbeat details of a heavy step: the phase it is in and how far it got, e.g. {@code training 340/800 loss 0.41}.
 *
 * @param loss the training loss at {@code done}; null outside training
 */
public record StepProgress(String phase, int done, int total, Double loss) {
  @Override
  public String toString() {
    return phase + " " + done + "/" + total + (loss == null ? "" : String.format(" loss %.3f", loss));
  }
}
