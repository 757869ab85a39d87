package io.somnus.infra;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.somnus.activities.StepTimeouts;
import io.somnus.engine.sleep.ValidationConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a Somnus process needs to know about its surroundings, from one file (YAML or JSON)
 * overlaid with {@code SOMNUS_*} environment variables (see {@link ConfigLoader}).
 *
 * <p>A missing Temporal target, S3 endpoint or MLflow URI means "use the embedded dev stack" for
 * that service: Temporal's in-memory service on localhost gRPC, the embedded S3 server over a folder
 * under {@link #dataDir()}, and tracking in local JSON files. Deployments set all three.
 *
 * @param modelId the model whose memory this process serves (one registry per bucket)
 * @param dataDir local working folder: embedded S3 objects, local tracking, materialised checkpoints
 * @param gpuWorkers whether heavy steps are scheduled on the "gpu" task queue (a GPU worker must be
 *     polling it) instead of "cpu"
 * @param device "cpu", "gpu" or "auto": what this process's engine should run on
 * @param validation when a sleep's candidate may replace the live model (a worker setting: the sleeps it runs use it)
 * @param steps how the workflows this process starts time their steps
 */
public record SomnusConfig(String modelId, Path dataDir, Temporal temporal, S3 s3, Tracking tracking,
    boolean gpuWorkers, String device, Validation validation, Steps steps) {

  public static final String DEFAULT_MODEL_ID = "somnus-tiny";
  public static final String DEFAULT_NAMESPACE = "default";
  public static final String DEFAULT_BUCKET = "somnus";
  public static final int DEFAULT_TEMPORAL_PORT = 7233;

  /**
   * @param target host:port of a Temporal frontend; null runs (or connects to) the embedded service
   * @param devPort localhost port the embedded service listens on (0: any free port)
   */
  public record Temporal(String target, String namespace, Integer devPort) {
    public Temporal {
      if (target != null && target.isBlank()) target = null;
      if (target != null && !target.matches("[^\\s:/]+:\\d{1,5}")) {
        throw new IllegalArgumentException("temporal.target must be host:port (e.g. temporal:7233), got '" + target + "'");
      }
      if (namespace == null || namespace.isBlank()) namespace = DEFAULT_NAMESPACE;
      if (devPort == null) devPort = DEFAULT_TEMPORAL_PORT;
      checkPort("temporal.devPort", devPort);
    }

    @JsonIgnore
    public boolean embedded() {
      return target == null;
    }
  }

  /**
   * @param endpoint S3 endpoint (MinIO, AWS); null runs the embedded S3 server over
   *     {@code <dataDir>/s3}
   * @param devPort port of the embedded S3 server (0: any free port)
   */
  public record S3(URI endpoint, String accessKey, String secretKey, String bucket, Integer devPort) {
    public S3 {
      if (endpoint != null && endpoint.toString().isBlank()) endpoint = null;
      if (endpoint != null && !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))) {
        throw new IllegalArgumentException("s3.endpoint must be an http(s) URL, got '" + endpoint + "'");
      }
      if (endpoint != null && (blank(accessKey) || blank(secretKey))) {
        throw new IllegalArgumentException("s3.endpoint " + endpoint + " is set but its keys are not"
            + " (s3.accessKey/s3.secretKey or SOMNUS_S3_ACCESS_KEY/SOMNUS_S3_SECRET_KEY)");
      }
      if (blank(bucket)) bucket = DEFAULT_BUCKET;
      if (devPort == null) devPort = 0;
      checkPort("s3.devPort", devPort);
    }

    @JsonIgnore
    public boolean embedded() {
      return endpoint == null;
    }

    @Override
    public String toString() {
      return "S3[endpoint=" + endpoint + ", bucket=" + bucket + ", accessKey=" + accessKey + ", secretKey="
          + (secretKey == null ? "unset" : "***") + "]";
    }
  }

  /** @param mlflowUri MLflow tracking server; null keeps tracking in local files under the data folder */
  public record Tracking(URI mlflowUri) {
    public Tracking {
      if (mlflowUri != null && mlflowUri.toString().isBlank()) mlflowUri = null;
      if (mlflowUri != null && !("http".equals(mlflowUri.getScheme()) || "https".equals(mlflowUri.getScheme()))) {
        throw new IllegalArgumentException("tracking.mlflowUri must be an http(s) URL, got '" + mlflowUri + "'");
      }
    }

    @JsonIgnore
    public boolean local() {
      return mlflowUri == null;
    }
  }

  /**
   * The validation bounds a deployment may change; an unset one keeps the engine's default
   * ({@link ValidationConfig#defaults()}). Recall is always required in chat and by raw completion.
   *
   * @param maxPerplexityDrift largest allowed relative rise of reference perplexity (0.02 = 2 %)
   * @param maxBehaviourShift largest allowed drop, in nats per token, of the likelihood of the live model's own
   *     answers to the behaviour prompts
   * @param recoveredPerLoss answers the live model misses that a candidate must give back for each recalled one it
   *     loses; 0: no recalled answer may be lost
   * @param maxKnowledgeLossPerSleep share of its known-fact recall (the knowledge guard) a candidate may lose against
   *     the live model
   * @param maxKnowledgeLossOverLifetime share of the base model's known-fact recall a candidate may have lost in all
   */
  public record Validation(Double maxPerplexityDrift, Double maxBehaviourShift, Integer recoveredPerLoss,
      Double maxKnowledgeLossPerSleep, Double maxKnowledgeLossOverLifetime) {
    public Validation {
      ValidationConfig d = ValidationConfig.defaults();
      if (maxPerplexityDrift == null) maxPerplexityDrift = d.maxPerplexityDrift();
      if (maxBehaviourShift == null) maxBehaviourShift = d.maxBehaviourShift();
      if (recoveredPerLoss == null) recoveredPerLoss = d.recoveredPerLoss();
      if (maxKnowledgeLossPerSleep == null) maxKnowledgeLossPerSleep = d.maxKnowledgeLossPerSleep();
      if (maxKnowledgeLossOverLifetime == null) maxKnowledgeLossOverLifetime = d.maxKnowledgeLossOverLifetime();
      if (!(maxKnowledgeLossPerSleep >= 0 && maxKnowledgeLossPerSleep <= 1)) {
        throw new IllegalArgumentException("validation.maxKnowledgeLossPerSleep must be in [0,1], got " + maxKnowledgeLossPerSleep);
      }
      if (!(maxKnowledgeLossOverLifetime >= 0 && maxKnowledgeLossOverLifetime <= 1)) {
        throw new IllegalArgumentException("validation.maxKnowledgeLossOverLifetime must be in [0,1], got " + maxKnowledgeLossOverLifetime);
      }
      if (!(maxPerplexityDrift >= 0)) throw new IllegalArgumentException("validation.maxPerplexityDrift must be >= 0, got " + maxPerplexityDrift);
      if (!(maxBehaviourShift >= 0)) throw new IllegalArgumentException("validation.maxBehaviourShift must be >= 0, got " + maxBehaviourShift);
      if (recoveredPerLoss < 0) throw new IllegalArgumentException("validation.recoveredPerLoss must be >= 0, got " + recoveredPerLoss);
    }

    /** The engine's validation rule with these bounds. */
    public ValidationConfig rule() {
      ValidationConfig d = ValidationConfig.defaults();
      return new ValidationConfig(maxPerplexityDrift, maxBehaviourShift, d.requireChatRecall(), d.requireRawRecall(), recoveredPerLoss,
          maxKnowledgeLossPerSleep, maxKnowledgeLossOverLifetime);
    }
  }

  /**
   * Step timing of the workflows a process starts (sleeps, naps, rollbacks); unset keeps {@link StepTimeouts#defaults()}.
   *
   * @param heartbeatSeconds a heavy step that has not reported progress for this long is presumed dead (its worker
   *     killed) and run again on another worker
   */
  public record Steps(Integer heartbeatSeconds) {
    public Steps {
      if (heartbeatSeconds == null) heartbeatSeconds = (int) StepTimeouts.defaults().heartbeat().toSeconds();
      if (heartbeatSeconds < 1) throw new IllegalArgumentException("steps.heartbeatSeconds must be >= 1, got " + heartbeatSeconds);
    }

    public StepTimeouts timeouts() {
      return StepTimeouts.defaults().withHeartbeat(Duration.ofSeconds(heartbeatSeconds));
    }
  }

  public SomnusConfig {
    if (blank(modelId)) modelId = DEFAULT_MODEL_ID;
    if (!modelId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
      throw new IllegalArgumentException("modelId must be letters, digits, '.', '_' or '-', got '" + modelId + "'");
    }
    dataDir = (dataDir == null ? defaultDataDir() : dataDir).toAbsolutePath().normalize();
    if (temporal == null) temporal = new Temporal(null, null, null);
    if (s3 == null) s3 = new S3(null, null, null, null, null);
    if (tracking == null) tracking = new Tracking(null);
    if (validation == null) validation = new Validation(null, null, null, null, null);
    if (steps == null) steps = new Steps(null);
    if (blank(device)) device = "auto";
    if (!(device.equals("cpu") || device.equals("gpu") || device.equals("auto"))) {
      throw new IllegalArgumentException("device must be cpu, gpu or auto, got '" + device + "'");
    }
  }

  /** Every setting at its default: the embedded stack under {@code ~/.somnus/data}. */
  public static SomnusConfig defaults() {
    return new SomnusConfig(null, null, null, null, null, false, null, null, null);
  }

  /** True when some service is embedded, i.e. this process needs the dev stack's coordinates. */
  @JsonIgnore
  public boolean usesDevStack() {
    return temporal.embedded() || s3.embedded();
  }

  public SomnusConfig withDataDir(Path dir) {
    return new SomnusConfig(modelId, Objects.requireNonNull(dir, "dir"), temporal, s3, tracking, gpuWorkers, device, validation, steps);
  }

  public SomnusConfig withModelId(String id) {
    return new SomnusConfig(id, dataDir, temporal, s3, tracking, gpuWorkers, device, validation, steps);
  }

  public SomnusConfig withGpuWorkers(boolean gpu) {
    return new SomnusConfig(modelId, dataDir, temporal, s3, tracking, gpu, device, validation, steps);
  }

  public SomnusConfig withTemporal(Temporal t) {
    return new SomnusConfig(modelId, dataDir, t, s3, tracking, gpuWorkers, device, validation, steps);
  }

  public SomnusConfig withS3(S3 s) {
    return new SomnusConfig(modelId, dataDir, temporal, s, tracking, gpuWorkers, device, validation, steps);
  }

  /** Folder of the embedded S3 server's buckets. */
  public Path s3Dir() {
    return dataDir.resolve("s3");
  }

  /** Folder of local tracking files. */
  public Path trackingDir() {
    return dataDir.resolve("tracking");
  }

  /**
   * {@code <somnus home>/data}; the home is the {@code somnus.home} system property (the launcher and the
   * build set it), else {@code SOMNUS_HOME}, else {@code ~/.somnus}, as for the engine's model cache.
   */
  static Path defaultDataDir() {
    String home = System.getProperty("somnus.home");
    if (home == null || home.isBlank()) home = System.getenv("SOMNUS_HOME");
    Path base = home == null || home.isBlank() ? Path.of(System.getProperty("user.home"), ".somnus") : Path.of(home);
    return base.resolve("data");
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static void checkPort(String what, int port) {
    if (port < 0 || port > 65535) throw new IllegalArgumentException(what + " must be 0..65535, got " + port);
  }
}
