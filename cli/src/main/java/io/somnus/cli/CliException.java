package io.somnus.cli;

/** A command cannot do what was asked; the message says why and what to do instead. */
final class CliException extends RuntimeException {
  CliException(String message) {
    super(message);
  }
}
