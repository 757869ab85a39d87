package io.somnus.infra;

/** The configuration cannot be used as given; the message says which setting and where it came from. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
