package io.somnus.infra;

import io.somnus.store.S3Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Concrete addresses of the three services, after filling every "embedded" setting of a
 * {@link SomnusConfig} from the running dev stack.
 *
 * @param mlflowUri MLflow server, or null for local tracking files under {@code localTrackingDir}
 */
public record ServiceEndpoints(String temporalTarget, String namespace, S3Settings s3, URI mlflowUri,
    Path localTrackingDir) {

  public ServiceEndpoints {
    Objects.requireNonNull(temporalTarget, "temporalTarget");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(s3, "s3");
    if (mlflowUri == null) Objects.requireNonNull(localTrackingDir, "localTrackingDir (needed without an MLflow URI)");
  }

  /**
   * Resolves {@code config}: configured services as they are; embedded ones from the dev stack
   * recorded under the data folder.
   *
   * @throws ConfigException if a service is embedded and no dev stack is running
   */
  public static ServiceEndpoints resolve(SomnusConfig config) {
    DevStackInfo dev = null;
    if (config.usesDevStack()) {
      dev = DevStackInfo.read(config.dataDir()).orElseThrow(() -> new ConfigException(
          "no Temporal target / S3 endpoint configured and no dev stack running under " + config.dataDir()
              + ": start one with `somnus dev up` (or set SOMNUS_TEMPORAL_TARGET and SOMNUS_S3_ENDPOINT)"));
    }
    return resolve(config, dev);
  }

  /** As {@link #resolve(SomnusConfig)} with the dev stack given (null when every service is configured). */
  public static ServiceEndpoints resolve(SomnusConfig config, DevStackInfo dev) {
    SomnusConfig.Temporal t = config.temporal();
    SomnusConfig.S3 s = config.s3();
    if (config.usesDevStack() && dev == null) throw new IllegalArgumentException("config uses the dev stack but none was given");
    String target = t.embedded() ? dev.temporalTarget() : t.target();
    String namespace = t.embedded() ? dev.namespace() : t.namespace();
    S3Settings s3 = s.embedded()
        ? S3Settings.of(dev.s3Endpoint(), dev.s3AccessKey(), dev.s3SecretKey(), dev.bucket())
        : S3Settings.of(s.endpoint(), s.accessKey(), s.secretKey(), s.bucket());
    URI mlflow = config.tracking().mlflowUri();
    Path localTracking = mlflow != null ? null : (dev != null ? dev.trackingDir() : config.trackingDir());
    return new ServiceEndpoints(target, namespace, s3, mlflow, localTracking);
  }
}
