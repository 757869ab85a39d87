package io.somnus.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed input must fail with a message naming the file and the tensor, never crash natively. */
class CheckpointErrorsTest {
  @TempDir Path tmp;
  Path dir;
  LlamaConfig config;

  @BeforeEach
  void writeGoodCheckpoint() throws Exception {
    config = TestModels.config("llama", 2, 2, 1, false, false, false, DType.F32);
    dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config, TestModels.weights(config, 3), DType.F32, 1L << 40, null);
  }

  private Path weights() {
    return dir.resolve(Checkpoint.SINGLE);
  }

  @Test
  void truncatedFileNamesTheTensorPastTheEnd() throws Exception {
    byte[] all = Files.readAllBytes(weights());
    Files.write(weights(), java.util.Arrays.copyOf(all, all.length - 100));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("tensor '"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void garbageHeaderIsReportedAsCorrupt() throws Exception {
    Files.write(weights(), "this is not a safetensors file at all".getBytes(StandardCharsets.UTF_8));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("corrupt safetensors header"), e.getMessage());
  }

  @Test
  void tinyFileIsNotMistakenForAnEmptyCheckpoint() throws Exception {
    Files.write(weights(), new byte[3]);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("header length missing"), e.getMessage());
  }

  @Test
  void headerThatIsNotJsonIsCorrupt() throws Exception {
    byte[] header = "{\"a\": [1, 2".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header);
    Files.write(weights(), b.array());
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void wrongShapeNamesTensorAndBothShapes() throws Exception {
    Map<String, HostTensor> w = new LinkedHashMap<>(TestModels.weights(config, 3));
    String name = "model.layers.1.mlp.down_proj.weight";
    w.put(name, new HostTensor(name, DType.F32, new long[] {config.intermediateSize(), config.hiddenSize()},
        new float[config.intermediateSize() * config.hiddenSize()]));
    SafeTensors.write(weights(), w.values(), Map.of());
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("[80, 48]") && e.getMessage().contains("[48, 80]"), e.getMessage());
  }

  @Test
  void unsupportedDtypeIsNamed() throws Exception {
    ObjectNode header = new ObjectMapper().createObjectNode();
    ObjectNode t = header.putObject("model.embed_tokens.weight");
    t.put("dtype", "I8");
    t.putArray("shape").add(2);
    t.putArray("data_offsets").add(0).add(2);
    byte[] h = new ObjectMapper().writeValueAsBytes(header);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 2).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put((byte) 1).put((byte) 2);
    Files.write(weights(), b.array());
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("model.embed_tokens.weight") && e.getMessage().contains("I8"), e.getMessage());
  }

  @Test
  void missingTensorIsNamed() throws Exception {
    Map<String, HostTensor> w = new LinkedHashMap<>(TestModels.weights(config, 3));
    w.remove("model.layers.0.self_attn.k_proj.weight");
    SafeTensors.write(weights(), w.values(), Map.of());
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight") && e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void unsupportedArchitectureIsRefusedByName() throws Exception {
    ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    cfg.put("model_type", "mixtral");
    Files.write(dir.resolve("config.json"), new ObjectMapper().writeValueAsBytes(cfg));
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("unsupported architecture") && e.getMessage().contains("mixtral"), e.getMessage());
  }

  @Test
  void missingShardIsNamed() throws Exception {
    Path sharded = tmp.resolve("sharded");
    Checkpoint.save(sharded, config, TestModels.weights(config, 3), DType.F32, 20_000, null);
    Path shard = Files.list(sharded).filter(p -> p.getFileName().toString().startsWith("model-00002")).findFirst().orElseThrow();
    Files.delete(shard);
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(sharded));
    assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
  }

  @Test
  void notACheckpointDirectory() {
    CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(tmp.resolve("nowhere")));
    assertTrue(e.getMessage().contains("config.json is missing"), e.getMessage());
  }

  @Test
  void halfAndBfloatConversionsRoundToNearestEven() {
    assertEquals(0x3c00, DType.floatToHalf(1f));
    assertEquals(0xc000, DType.floatToHalf(-2f));
    assertEquals(0x7bff, DType.floatToHalf(65504f));
    assertEquals(0x7c00, DType.floatToHalf(1e6f));
    assertEquals(0x0001, DType.floatToHalf(0x1p-24f));
    assertEquals(1f, DType.halfToFloat((short) 0x3c00));
    assertEquals(0x1p-24f, DType.halfToFloat((short) 0x0001));
    // 1 + 2^-11 is halfway between two halves; ties go to the even mantissa (1.0).
    assertEquals(0x3c00, DType.floatToHalf(1f + 0x1p-11f));
    assertEquals(0x3c02, DType.floatToHalf(1f + 3 * 0x1p-11f));
    assertEquals(0x3f80, DType.floatToBfloat16(1f));
    assertEquals(0x3f80, DType.floatToBfloat16(1f + 0x1p-8f));
    assertEquals(0x3f82, DType.floatToBfloat16(1f + 3 * 0x1p-8f));
    for (float v : List.of(0.1f, -3.75f, 1234.5f, 6.1e-5f)) {
      assertEquals(v, DType.halfToFloat((short) DType.floatToHalf(v)), Math.abs(v) * 1e-3, "fp16 round trip of " + v);
    }
  }
}
