package io.somnus.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** An embedded S3 server and a fresh bucket per test class, plus fake checkpoint folders. */
final class StoreFixture implements AutoCloseable {
  final EmbeddedS3Server server;
  final S3ObjectStore store;

  StoreFixture(Path root, String bucket) {
    server = EmbeddedS3Server.start(root.resolve("s3"));
    store = S3ObjectStore.open(server.settings(bucket));
  }

  /** A checkpoint-shaped folder: config, two weight shards, tokenizer; content varies with the seeds. */
  static Path checkpoint(Path dir, long shard1Seed, long shard2Seed) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8}");
    Files.write(dir.resolve("model-00001-of-00002.safetensors"), random(40_000, shard1Seed));
    Files.write(dir.resolve("model-00002-of-00002.safetensors"), random(40_000, shard2Seed));
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\"}}");
    return dir;
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Override
  public void close() {
    store.close();
    server.close();
  }
}
