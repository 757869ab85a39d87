package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsTest {
  @TempDir Path tmp;

  @Test
  void theWeightsDigestFollowsTheWeightFilesAndNothingElse() throws Exception {
    Path a = Files.createDirectories(tmp.resolve("somnus-tiny-recipe"));
    Files.write(a.resolve("model.safetensors"), new byte[] {1, 2, 3, 4});
    Files.writeString(a.resolve("model-card.json"), "{\"steps\": 2400}");
    Path b = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.write(b.resolve("model.safetensors"), new byte[] {1, 2, 3, 4});
    String digest = Models.weightsDigest(a);
    assertTrue(digest.matches("[0-9a-f]{12}"), digest);
    assertEquals(digest, Models.weightsDigest(b), "same weights, other folder and other side files");
    Files.write(b.resolve("model.safetensors"), new byte[] {1, 2, 3, 5});
    assertNotEquals(digest, Models.weightsDigest(b), "one byte of the weights differs");
  }

  @Test
  void aCheckpointWithoutWeightsIsAClearError() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Models.weightsDigest(empty));
    assertTrue(e.getMessage().contains("no .safetensors weights"), e.getMessage());
  }
}
