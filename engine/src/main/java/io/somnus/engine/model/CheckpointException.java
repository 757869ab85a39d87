package io.somnus.engine.model;

import java.nio.file.Path;

/** A checkpoint that cannot be used as it is; the message names the file and, where known, the tensor. */
public class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }

  public static CheckpointException inFile(Path file, String message) {
    return new CheckpointException(file + ": " + message);
  }

  public static CheckpointException inTensor(Path file, String tensor, String message) {
    return new CheckpointException(file + ": tensor '" + tensor + "': " + message);
  }
}
