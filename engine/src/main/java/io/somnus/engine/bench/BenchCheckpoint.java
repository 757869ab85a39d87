package io.somnus.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.LlamaConfig;
import io.somnus.engine.model.LlamaModel;
import io.somnus.engine.model.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A random-weight checkpoint of a bench shape on disk, in its config's dtype, one shard per layer so
 * that no more than a layer is ever held in Java memory while writing. Both implementations load it
 * from there, which also times their loading. Cached by the config's content.
 */
final class BenchCheckpoint {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double STD = 0.02;

  private BenchCheckpoint() {}

  static Path ensure(BenchShape shape, Path cacheRoot) throws IOException {
    LlamaConfig c = shape.config();
    byte[] configJson = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c.toJson(c.torchDtype()));
    Path dir = cacheRoot.resolve(shape.name() + "-" + digest(configJson));
    if (Files.isRegularFile(dir.resolve(Checkpoint.CONFIG))) return dir;
    Path tmp = Files.createDirectories(cacheRoot).resolve(dir.getFileName() + ".tmp");
    if (Files.exists(tmp)) deleteTree(tmp);
    Files.createDirectories(tmp);
    System.err.printf("bench: writing the %s checkpoint (%,d parameters) to %s ...%n", shape.name(), c.parameterCount(), dir);
    Map<String, long[]> shapes = Checkpoint.expectedShapes(c);
    List<List<String>> groups = new ArrayList<>();
    groups.add(new ArrayList<>(List.of(LlamaModel.EMBED, LlamaModel.FINAL_NORM)));
    if (!c.tieWordEmbeddings()) groups.get(0).add(LlamaModel.LM_HEAD);
    for (int l = 0; l < c.numLayers(); l++) {
      String prefix = "model.layers." + l + ".";
      groups.add(shapes.keySet().stream().filter(n -> n.startsWith(prefix)).toList());
    }
    ObjectNode index = JSON.createObjectNode();
    ObjectNode map = index.putObject("weight_map");
    for (int i = 0; i < groups.size(); i++) {
      String file = String.format("model-%05d-of-%05d.safetensors", i + 1, groups.size());
      List<HostTensor> tensors = new ArrayList<>();
      for (String name : groups.get(i)) {
        tensors.add(random(name, shapes.get(name), c));
        map.put(name, file);
      }
      SafeTensors.write(tmp.resolve(file), tensors, Map.of("format", "pt"));
    }
    Files.write(tmp.resolve(Checkpoint.INDEX), JSON.writeValueAsBytes(index));
    Files.write(tmp.resolve(Checkpoint.CONFIG), configJson);
    Files.move(tmp, dir);
    return dir;
  }

  /** Unit norm gains; uniform values of standard deviation {@link #STD} elsewhere (cheaper to draw than Gaussians). */
  private static HostTensor random(String name, long[] shape, LlamaConfig c) {
    float[] data = new float[Math.toIntExact(HostTensor.numel(shape))];
    if (name.endsWith("norm.weight")) {
      java.util.Arrays.fill(data, 1f);
    } else {
      SplittableRandom r = new SplittableRandom(name.hashCode());
      double half = STD * Math.sqrt(3);
      for (int i = 0; i < data.length; i++) data[i] = (float) ((2 * r.nextDouble() - 1) * half);
    }
    return new HostTensor(name, c.torchDtype(), shape, data);
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
    }
  }
}
