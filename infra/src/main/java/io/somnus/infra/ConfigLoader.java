package io.somnus.infra;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a {@link SomnusConfig}: defaults, then one file, then {@code SOMNUS_*} environment
 * variables (the deployment files set these), then whatever the caller overrides on top.
 *
 * <p>The file is YAML ({@code .yaml}, {@code .yml}) or JSON ({@code .json}), shaped like the record:
 *
 * <pre>
 * modelId: somnus-tiny
 * dataDir: /var/lib/somnus
 * gpuWorkers: true
 * temporal: { target: temporal:7233, namespace: default }
 * s3: { endpoint: http://minio:9000, accessKey: somnus, secretKey: ..., bucket: somnus }
 * tracking: { mlflowUri: http://mlflow:5000 }
 * </pre>
 *
 * Unknown keys are errors (a misspelt key would otherwise silently fall back to the embedded stack).
 */
public final class ConfigLoader {
  /** Names a config file when no {@code --config} option is given. */
  public static final String CONFIG_ENV = "SOMNUS_CONFIG";

  /** Environment variable → path in the config tree. */
  static final Map<String, String> ENV_KEYS;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("SOMNUS_MODEL_ID", "modelId");
    m.put("SOMNUS_DATA_DIR", "dataDir");
    m.put("SOMNUS_GPU_WORKERS", "gpuWorkers");
    m.put("SOMNUS_DEVICE", "device");
    m.put("SOMNUS_TEMPORAL_TARGET", "temporal.target");
    m.put("SOMNUS_TEMPORAL_NAMESPACE", "temporal.namespace");
    m.put("SOMNUS_TEMPORAL_DEV_PORT", "temporal.devPort");
    m.put("SOMNUS_S3_ENDPOINT", "s3.endpoint");
    m.put("SOMNUS_S3_ACCESS_KEY", "s3.accessKey");
    m.put("SOMNUS_S3_SECRET_KEY", "s3.secretKey");
    m.put("SOMNUS_S3_BUCKET", "s3.bucket");
    m.put("SOMNUS_S3_DEV_PORT", "s3.devPort");
    m.put("SOMNUS_MLFLOW_URI", "tracking.mlflowUri");
    m.put("SOMNUS_VALIDATION_MAX_PERPLEXITY_DRIFT", "validation.maxPerplexityDrift");
    m.put("SOMNUS_VALIDATION_MAX_BEHAVIOUR_SHIFT", "validation.maxBehaviourShift");
    m.put("SOMNUS_VALIDATION_RECOVERED_PER_LOSS", "validation.recoveredPerLoss");
    m.put("SOMNUS_VALIDATION_MAX_KNOWLEDGE_LOSS_PER_SLEEP", "validation.maxKnowledgeLossPerSleep");
    m.put("SOMNUS_VALIDATION_MAX_KNOWLEDGE_LOSS_OVER_LIFETIME", "validation.maxKnowledgeLossOverLifetime");
    m.put("SOMNUS_STEP_HEARTBEAT_SECONDS", "steps.heartbeatSeconds");
    ENV_KEYS = Map.copyOf(m);
  }

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();
  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private ConfigLoader() {}

  /** The file named by {@code file} (or by {@value #CONFIG_ENV} when null), overlaid with the process environment. */
  public static SomnusConfig load(Path file) {
    return load(file, System.getenv());
  }

  /**
   * @param file config file, or null to use {@value #CONFIG_ENV} from {@code env}, or none
   * @param env environment variables (a map so tests need not touch the real environment)
   * @throws ConfigException if the file is missing or malformed, or a value is invalid
   */
  public static SomnusConfig load(Path file, Map<String, String> env) {
    Path source = file;
    if (source == null && env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank()) source = Path.of(env.get(CONFIG_ENV));
    ObjectNode tree = source == null ? JsonNodeFactory.instance.objectNode() : readFile(source);
    for (Map.Entry<String, String> e : ENV_KEYS.entrySet()) {
      String value = env.get(e.getKey());
      if (value != null && !value.isBlank()) set(tree, e.getValue(), value.trim());
    }
    String origin = (source == null ? "defaults" : source.toString()) + " + SOMNUS_* environment";
    return bind(tree, origin);
  }

  private static ObjectNode readFile(Path file) {
    if (!Files.isRegularFile(file)) throw new ConfigException("config file " + file + " does not exist");
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    ObjectMapper mapper;
    if (name.endsWith(".yaml") || name.endsWith(".yml")) mapper = YAML;
    else if (name.endsWith(".json")) mapper = JSON;
    else throw new ConfigException("config file " + file + " must end in .yaml, .yml or .json");
    JsonNode node;
    try {
      node = mapper.readTree(file.toFile());
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " is not valid " + (mapper == YAML ? "YAML" : "JSON") + ": " + e.getMessage(), e);
    }
    if (node == null || node.isMissingNode() || node.isNull()) return JsonNodeFactory.instance.objectNode();
    if (!node.isObject()) throw new ConfigException("config file " + file + " must hold a mapping of settings, not " + node.getNodeType());
    return (ObjectNode) node;
  }

  /** Sets {@code a.b} = value, creating the intermediate object; values stay text and Jackson coerces them. */
  private static void set(ObjectNode tree, String path, String value) {
    String[] parts = path.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (child == null || !child.isObject()) child = node.putObject(parts[i]);
      node = (ObjectNode) child;
    }
    node.put(parts[parts.length - 1], value);
  }

  private static SomnusConfig bind(ObjectNode tree, String origin) {
    try {
      return JSON.treeToValue(tree, SomnusConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("unknown setting '" + e.getPropertyName() + "' in " + origin + " (known: "
          + e.getKnownPropertyIds() + ")", e);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ConfigException("invalid configuration from " + origin + ": " + cause.getMessage(), e);
    } catch (JsonMappingException e) {
      throw new ConfigException("invalid value for '" + dotted(e) + "' in " + origin + ": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException("invalid configuration from " + origin + ": " + e.getOriginalMessage(), e);
    }
  }

  /** {@code temporal.devPort} for the setting a mapping error points at. */
  private static String dotted(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() == null) continue;
      if (sb.length() > 0) sb.append('.');
      sb.append(r.getFieldName());
    }
    return sb.toString();
  }
}
