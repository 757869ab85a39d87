package io.somnus.cli.wake;

import ai.djl.Device;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.S3ObjectStore;
import java.nio.file.Path;

/**
 * The setup the wake tests share: an embedded S3 bucket with a model registry and fact ledger, somnus-tiny-test
 * imported as the live version, and wake memories over it that use the world's reference texts for their key statistics.
 */
public final class TinyWakeStore implements AutoCloseable {
  private final Path dir;
  private final EmbeddedS3Server s3;
  private final S3ObjectStore store;
  private final ModelRegistry registry;
  private final FactLedger ledger;
  private final String baseVersion;

  private TinyWakeStore(Path dir, EmbeddedS3Server s3, S3ObjectStore store) {
    this.dir = dir;
    this.s3 = s3;
    this.store = store;
    this.registry = new ModelRegistry(store);
    this.ledger = new FactLedger(store);
    this.baseVersion = WakeMemory.importBase(registry, ledger, SomnusTiny.ensure(SomnusTiny.Variant.TEST), "import-1");
  }

  /** A fresh bucket under {@code dir} with the test model imported and live. */
  public static TinyWakeStore open(Path dir, String bucket) {
    EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
    try {
      return new TinyWakeStore(dir, s3, S3ObjectStore.open(s3.settings(bucket)));
    } catch (RuntimeException e) {
      s3.close();
      throw e;
    }
  }

  public static SyntheticWorld world() {
    return SomnusTiny.Variant.TEST.world();
  }

  public ModelRegistry registry() {
    return registry;
  }

  public FactLedger ledger() {
    return ledger;
  }

  /** The imported checkpoint's version. */
  public String baseVersion() {
    return baseVersion;
  }

  /** A wake memory over the bucket, its checkpoints cached under {@code dir/work}. */
  public WakeMemory memory() {
    return memory("work");
  }

  /** A wake memory over the bucket, its checkpoints cached under {@code dir/<workDir>}: a second process's view. */
  public WakeMemory memory(String workDir) {
    return new WakeMemory(registry, ledger, dir.resolve(workDir), Device.cpu(), world().referenceTexts(20), dir.resolve("cache"));
  }

  @Override
  public void close() {
    store.close();
    s3.close();
  }
}
