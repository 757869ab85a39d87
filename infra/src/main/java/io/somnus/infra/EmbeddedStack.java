package io.somnus.infra;

import io.somnus.activities.StepQueues;
import io.somnus.store.EmbeddedS3Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM, no Docker: Temporal's in-memory service on localhost gRPC, the
 * embedded S3 server over {@code <dataDir>/s3}, local tracking files under {@code <dataDir>/tracking},
 * and a CPU worker hosting every workflow and step. Its coordinates are written to
 * {@code <dataDir>/dev-stack.json} so commands in other processes find it.
 *
 * <p>Services the configuration names (a Temporal target, an S3 endpoint, an MLflow URI) are used as
 * they are and not started here. Artifacts and tracking survive a restart (they are files);
 * Temporal's workflow histories do not (in memory).
 */
public final class EmbeddedStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

  private final SomnusConfig config;
  private final DevStackInfo info;
  private final LocalTemporalServer temporal;
  private final EmbeddedS3Server s3;
  private final SomnusServices services;
  private SomnusWorker worker;

  private EmbeddedStack(SomnusConfig config, DevStackInfo info, LocalTemporalServer temporal, EmbeddedS3Server s3,
      SomnusServices services) {
    this.config = config;
    this.info = info;
    this.temporal = temporal;
    this.s3 = s3;
    this.services = services;
  }

  /**
   * Starts the embedded services of {@code config} and, when {@code steps} is given, an in-process
   * CPU worker with every workflow and step.
   *
   * @param steps activity implementations for the worker; null starts no worker (another process runs one)
   * @throws IllegalStateException if a dev stack is already running on the same data folder
   */
  public static EmbeddedStack start(SomnusConfig config, StepsFactory steps) {
    Optional<DevStackInfo> running = DevStackInfo.read(config.dataDir());
    if (running.isPresent()) {
      throw new IllegalStateException("a dev stack is already running on " + config.dataDir() + " (pid "
          + running.get().pid() + ", Temporal " + running.get().temporalTarget() + "); use it or stop it first");
    }
    try {
      Files.createDirectories(config.dataDir());
      Files.createDirectories(config.trackingDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data folder " + config.dataDir(), e);
    }
    LocalTemporalServer temporal = null;
    EmbeddedS3Server s3 = null;
    try {
      if (config.temporal().embedded()) temporal = LocalTemporalServer.start(config.temporal().devPort());
      if (config.s3().embedded()) {
        SomnusConfig.S3 s = config.s3();
        s3 = s.accessKey() != null && s.secretKey() != null
            ? EmbeddedS3Server.start(config.s3Dir(), s.devPort(), s.accessKey(), s.secretKey())
            : startS3WithFreshKeys(config);
      }
      DevStackInfo info = new DevStackInfo(
          temporal != null ? temporal.target() : config.temporal().target(),
          config.temporal().namespace(),
          s3 != null ? s3.endpoint() : config.s3().endpoint(),
          s3 != null ? s3.accessKey() : config.s3().accessKey(),
          s3 != null ? s3.secretKey() : config.s3().secretKey(),
          config.s3().bucket(),
          config.trackingDir(),
          ProcessHandle.current().pid(),
          Instant.now());
      SomnusServices services = new SomnusServices(config, ServiceEndpoints.resolve(config, info));
      EmbeddedStack stack = new EmbeddedStack(config, info, temporal, s3, services);
      try {
        services.objectStore(); // creates the bucket now, so the first sleep does not race on it
        if (steps != null) stack.worker = SomnusWorker.start(services, StepQueues.CPU, steps);
        info.write(config.dataDir());
      } catch (RuntimeException e) {
        stack.close();
        throw e;
      }
      log.info("dev stack up: Temporal {} (namespace {}), S3 {} bucket {}, tracking {}", info.temporalTarget(),
          info.namespace(), info.s3Endpoint(), info.bucket(), info.trackingDir());
      return stack;
    } catch (RuntimeException e) {
      if (s3 != null) closeQuietly(s3);
      if (temporal != null) closeQuietly(temporal);
      throw e;
    }
  }

  /** Keys are generated per start: the objects are plain files, so nothing depends on keeping them. */
  private static EmbeddedS3Server startS3WithFreshKeys(SomnusConfig config) {
    return EmbeddedS3Server.start(config.s3Dir(), config.s3().devPort(), "somnus-" + randomHex(6), randomHex(20));
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public SomnusConfig config() {
    return config;
  }

  /** Coordinates as written to {@code dev-stack.json}. */
  public DevStackInfo info() {
    return info;
  }

  /** Connections to this stack for code running in the same JVM. */
  public SomnusServices services() {
    return services;
  }

  /** True when this stack hosts a worker. */
  public boolean hasWorker() {
    return worker != null;
  }

  /** Stops the in-process worker only (the services keep running), e.g. to simulate a worker crash. */
  public void stopWorker() {
    if (worker != null) {
      worker.close();
      worker = null;
    }
  }

  /** Starts a fresh in-process CPU worker, e.g. after {@link #stopWorker()}. */
  public void startWorker(StepsFactory steps) {
    if (worker != null) throw new IllegalStateException("the dev stack already has a worker");
    worker = SomnusWorker.start(services, StepQueues.CPU, steps);
  }

  @Override
  public void close() {
    try {
      if (worker != null) closeQuietly(worker);
      closeQuietly(services);
      if (s3 != null) closeQuietly(s3);
      if (temporal != null) closeQuietly(temporal);
    } finally {
      info.deleteIfOwned(config.dataDir());
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("while stopping the dev stack: {}", e.toString());
    }
  }
}
