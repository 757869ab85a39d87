package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointDigestTest {
  @TempDir Path tmp;

  @Test
  void theWeightsDigestFollowsTheWeightFilesAndNothingElse() throws Exception {
    Path a = Files.createDirectories(tmp.resolve("somnus-tiny-recipe"));
    Files.write(a.resolve("model.safetensors"), new byte[] {1, 2, 3, 4});
    Files.writeString(a.resolve("model-card.json"), "{\"steps\": 2400}");
    Path b = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.write(b.resolve("model.safetensors"), new byte[] {1, 2, 3, 4});
    String digest = Checkpoint.weightsDigest(a);
    assertTrue(digest.matches("[0-9a-f]{12}"), digest);
    assertEquals(digest, Checkpoint.weightsDigest(b), "same weights, other folder and other side files");
    Files.write(b.resolve("model.safetensors"), new byte[] {1, 2, 3, 5});
    assertNotEquals(digest, Checkpoint.weightsDigest(b), "one byte of the weights differs");
  }

  @Test
  void aCheckpointWithoutWeightsIsAClearError() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.weightsDigest(empty));
    assertTrue(e.getMessage().contains("no .safetensors weights to digest"), e.getMessage());
  }
}
