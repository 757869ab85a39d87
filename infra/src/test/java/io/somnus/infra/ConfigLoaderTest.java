package io.somnus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.somnus.engine.sleep.ValidationConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void withoutFileOrEnvironmentEveryServiceIsEmbedded() {
    SomnusConfig c = ConfigLoader.load(null, Map.of());
    assertTrue(c.temporal().embedded());
    assertTrue(c.s3().embedded());
    assertTrue(c.tracking().local());
    assertTrue(c.usesDevStack());
    assertEquals("somnus-tiny", c.modelId());
    assertEquals("default", c.temporal().namespace());
    assertEquals("somnus", c.s3().bucket());
    assertEquals(7233, c.temporal().devPort());
    assertFalse(c.gpuWorkers());
  }

  @Test
  void environmentOverridesTheYamlFile() throws Exception {
    Path f = dir.resolve("somnus.yaml");
    Files.writeString(f, """
        modelId: from-file
        dataDir: %s
        gpuWorkers: true
        temporal:
          target: file-host:7233
          namespace: file-ns
        s3:
          endpoint: http://minio:9000
          accessKey: file-key
          secretKey: file-secret
          bucket: file-bucket
        """.formatted(dir.resolve("data")));
    SomnusConfig c = ConfigLoader.load(f, Map.of(
        "SOMNUS_TEMPORAL_TARGET", "env-host:7234",
        "SOMNUS_S3_SECRET_KEY", "env-secret",
        "SOMNUS_MLFLOW_URI", "http://mlflow:5000",
        "UNRELATED", "ignored"));
    assertEquals("from-file", c.modelId());
    assertEquals(dir.resolve("data"), c.dataDir());
    assertTrue(c.gpuWorkers());
    assertEquals("env-host:7234", c.temporal().target());
    assertEquals("file-ns", c.temporal().namespace());
    assertEquals(URI.create("http://minio:9000"), c.s3().endpoint());
    assertEquals("file-key", c.s3().accessKey());
    assertEquals("env-secret", c.s3().secretKey());
    assertEquals("file-bucket", c.s3().bucket());
    assertEquals(URI.create("http://mlflow:5000"), c.tracking().mlflowUri());
    assertFalse(c.usesDevStack());
  }

  @Test
  void readsJsonNamedBySomnusConfigVariable() throws Exception {
    Path f = dir.resolve("c.json");
    Files.writeString(f, "{\"modelId\": \"json-model\", \"temporal\": {\"devPort\": 0}}");
    SomnusConfig c = ConfigLoader.load(null, Map.of("SOMNUS_CONFIG", f.toString(), "SOMNUS_DATA_DIR", dir.toString()));
    assertEquals("json-model", c.modelId());
    assertEquals(0, c.temporal().devPort());
    assertEquals(dir, c.dataDir());
    assertEquals(dir.resolve("s3"), c.s3Dir());
  }

  @Test
  void aMisspeltKeyIsAnErrorNotASilentFallback() throws Exception {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, "temporal:\n  targt: temporal:7233\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
    assertTrue(e.getMessage().contains("'targt'"), e.getMessage());
    assertTrue(e.getMessage().contains("target"), "lists the known keys: " + e.getMessage());
  }

  @Test
  void invalidValuesNameTheSetting() {
    ConfigException target = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("SOMNUS_TEMPORAL_TARGET", "http://temporal:7233")));
    assertTrue(target.getMessage().contains("temporal.target must be host:port"), target.getMessage());

    ConfigException keys = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("SOMNUS_S3_ENDPOINT", "http://minio:9000")));
    assertTrue(keys.getMessage().contains("SOMNUS_S3_ACCESS_KEY"), keys.getMessage());

    ConfigException device = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("SOMNUS_DEVICE", "tpu")));
    assertTrue(device.getMessage().contains("device must be cpu, gpu or auto"), device.getMessage());

    ConfigException port = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("SOMNUS_TEMPORAL_DEV_PORT", "seventy")));
    assertTrue(port.getMessage().contains("devPort"), port.getMessage());
  }

  @Test
  void validationBoundsComeFromTheFileAndEnvironmentOverTheEngineDefaults() throws Exception {
    ValidationConfig engine = ValidationConfig.defaults();
    assertEquals(engine, ConfigLoader.load(null, Map.of()).validation().rule());
    Path f = Files.writeString(dir.resolve("v.yaml"), """
        validation:
          maxPerplexityDrift: 0.05
          recoveredPerLoss: 3
        """);
    ValidationConfig fromFile = ConfigLoader.load(f, Map.of()).validation().rule();
    assertEquals(0.05, fromFile.maxPerplexityDrift());
    assertEquals(engine.maxBehaviourShift(), fromFile.maxBehaviourShift());
    assertEquals(3, fromFile.recoveredPerLoss());
    ValidationConfig strict = ConfigLoader.load(f, Map.of("SOMNUS_VALIDATION_RECOVERED_PER_LOSS", "0")).validation().rule();
    assertEquals(0, strict.recoveredPerLoss());
    assertFalse(strict.allows(1, 100), "the strict rule trades no loss");
    assertTrue(strict.requireChatRecall() && strict.requireRawRecall());
    ConfigException negative = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, Map.of("SOMNUS_VALIDATION_RECOVERED_PER_LOSS", "-1")));
    assertTrue(negative.getMessage().contains("validation.recoveredPerLoss"), negative.getMessage());
  }

  @Test
  void missingOrUnsupportedFilesAreReported() throws Exception {
    ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of()));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    Path toml = Files.writeString(dir.resolve("c.toml"), "a = 1");
    ConfigException format = assertThrows(ConfigException.class, () -> ConfigLoader.load(toml, Map.of()));
    assertTrue(format.getMessage().contains(".yaml, .yml or .json"), format.getMessage());
    Path list = Files.writeString(dir.resolve("list.yaml"), "- a\n- b\n");
    ConfigException shape = assertThrows(ConfigException.class, () -> ConfigLoader.load(list, Map.of()));
    assertTrue(shape.getMessage().contains("mapping"), shape.getMessage());
  }

  @Test
  void secretsStayOutOfToString() {
    SomnusConfig c = ConfigLoader.load(null, Map.of("SOMNUS_S3_ENDPOINT", "http://minio:9000",
        "SOMNUS_S3_ACCESS_KEY", "ak", "SOMNUS_S3_SECRET_KEY", "very-secret"));
    assertFalse(c.toString().contains("very-secret"), c.toString());
    assertNull(c.tracking().mlflowUri());
  }
}
