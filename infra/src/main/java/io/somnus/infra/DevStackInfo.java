package io.somnus.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Where a running embedded dev stack can be reached. {@code somnus dev up} writes it to
 * {@code <dataDir>/dev-stack.json} (owner-only, since it holds the S3 keys) and removes it on
 * shutdown; every other command in another process reads it to find the stack.
 *
 * @param pid process hosting the stack; a file whose process is gone is stale
 */
public record DevStackInfo(String temporalTarget, String namespace, URI s3Endpoint, String s3AccessKey,
    String s3SecretKey, String bucket, Path trackingDir, long pid, Instant startedAt) {

  public static final String FILE_NAME = "dev-stack.json";

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  public static Path file(Path dataDir) {
    return dataDir.resolve(FILE_NAME);
  }

  /** The stack recorded under {@code dataDir}, if its process is still alive. */
  public static Optional<DevStackInfo> read(Path dataDir) {
    Path f = file(dataDir);
    if (!Files.isRegularFile(f)) return Optional.empty();
    DevStackInfo info;
    try {
      info = MAPPER.readValue(f.toFile(), DevStackInfo.class);
    } catch (IOException e) {
      throw new ConfigException("dev stack file " + f + " is unreadable (" + e.getMessage() + "); delete it and run `somnus dev up` again", e);
    }
    boolean alive = ProcessHandle.of(info.pid()).map(ProcessHandle::isAlive).orElse(false);
    return alive ? Optional.of(info) : Optional.empty();
  }

  /** Writes the file atomically (temp file + rename) with owner-only permissions: it holds the S3 keys. */
  public void write(Path dataDir) {
    try {
      AtomicFiles.writeOwnerOnly(file(dataDir), MAPPER.writeValueAsBytes(this));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the dev stack file", e);
    }
  }

  /** Removes the file if it still describes this stack (a newer stack may have replaced it). */
  public void deleteIfOwned(Path dataDir) {
    Path f = file(dataDir);
    try {
      if (!Files.isRegularFile(f)) return;
      DevStackInfo current = MAPPER.readValue(f.toFile(), DevStackInfo.class);
      if (current.pid() == pid && current.startedAt().equals(startedAt)) Files.deleteIfExists(f);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove dev stack file " + f, e);
    }
  }

  @Override
  public String toString() {
    return "DevStackInfo[temporal=" + temporalTarget + ", s3=" + s3Endpoint + "/" + bucket + ", tracking=" + trackingDir
        + ", pid=" + pid + "]";
  }
}
