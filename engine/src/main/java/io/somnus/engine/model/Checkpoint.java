package io.somnus.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Hugging Face checkpoint directory: {@code config.json}, weights in {@code model.safetensors} or
 * sharded {@code model-0000i-of-0000n.safetensors} with {@code model.safetensors.index.json}, and the
 * tokenizer files. Loading checks every expected tensor's presence and shape against the config.
 */
public final class Checkpoint {
  public static final String CONFIG = "config.json";
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Files copied alongside the weights when a checkpoint is saved from another one (its MEMIT settings too). */
  private static final List<String> COMPANION_FILES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "generation_config.json", "memit.json", "sleep.json");

  private Checkpoint() {}

  /** Config plus tensors of a checkpoint, as read from disk. */
  public record Contents(Path dir, LlamaConfig config, Map<String, HostTensor> tensors) {}

  /**
   * The first 12 hex digits of the SHA-256 over a checkpoint's weight files ({@code *.safetensors} in name order, each
   * name and then its bytes): which weights a figure was measured on. A somnus-tiny folder's name carries the
   * fingerprint of its build recipe, not of its weights, and the same recipe rebuilt on another machine gave other
   * weights (raw recall of 30 known facts 0.967 in one build, 0.944 in the next, with the same code).
   *
   * @throws CheckpointException when the folder holds no weight file
   */
  public static String weightsDigest(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      List<Path> weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
      if (weights.isEmpty()) throw CheckpointException.inFile(dir, "no .safetensors weights to digest");
      byte[] buffer = new byte[1 << 16];
      for (Path f : weights) {
        sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(f)) {
          for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
        }
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 6);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the weights of " + dir, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  public static LlamaConfig readConfig(Path dir) {
    Path cfg = dir.resolve(CONFIG);
    if (!Files.isRegularFile(cfg)) throw CheckpointException.inFile(dir, "not a checkpoint directory: " + CONFIG + " is missing");
    return LlamaConfig.read(cfg);
  }

  public static Contents load(Path dir) {
    LlamaConfig config = readConfig(dir);
    Map<String, Path> where = weightFiles(dir);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    Map<Path, SafeTensors> open = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, SafeTensors.Entry> e : plan(dir, config, where, open).entrySet()) {
        tensors.put(e.getKey(), open.get(where.get(e.getKey())).read(e.getKey()));
      }
    } finally {
      open.values().forEach(SafeTensors::close);
    }
    return new Contents(dir, config, tensors);
  }

  /**
   * Checks that the weight files hold exactly the network the config describes, each tensor with the
   * shape it implies, and returns where each tensor lies (files are opened into {@code open}, which the
   * caller closes). A tensor the config does not account for is refused rather than dropped, since it
   * usually means a config key this engine would have to honour.
   */
  static Map<String, SafeTensors.Entry> plan(Path dir, LlamaConfig config, Map<String, Path> where, Map<Path, SafeTensors> open) {
    Map<String, long[]> expected = expectedShapes(config);
    Map<String, SafeTensors.Entry> plan = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      String name = e.getKey();
      if (name.equals(LlamaModel.LM_HEAD) && config.tieWordEmbeddings()) continue; // tied: the head is the embedding
      Path file = where.get(name);
      if (file == null) throw CheckpointException.inTensor(dir, name, "missing from the checkpoint" + becauseOf(config, name));
      SafeTensors.Entry entry = open.computeIfAbsent(file, SafeTensors::open).entry(name);
      if (!Arrays.equals(entry.shape(), e.getValue())) {
        throw CheckpointException.inTensor(file, name, "shape " + Arrays.toString(entry.shape())
            + " does not match the config, which implies " + Arrays.toString(e.getValue()));
      }
      plan.put(name, entry);
    }
    for (Map.Entry<String, Path> e : where.entrySet()) {
      String name = e.getKey();
      if (expected.containsKey(name) || name.endsWith(".rotary_emb.inv_freq")) continue; // inv_freq: a buffer old exports saved
      throw CheckpointException.inTensor(e.getValue(), name, "is not part of the network " + CONFIG + " describes" + becauseOf(config, name)
          + "; refusing to load rather than silently ignore it");
    }
    return plan;
  }

  /** Which config key decides whether {@code name} belongs to the network, for error messages. */
  private static String becauseOf(LlamaConfig c, String name) {
    if (name.contains(".mlp.") && name.endsWith(".bias")) return " (" + CONFIG + " has mlp_bias: " + c.mlpBias() + ")";
    if (name.contains(".self_attn.o_proj.bias") && c.modelType().equals("qwen2")) return " (Qwen2 has no o_proj bias)";
    if (name.contains(".self_attn.") && name.endsWith(".bias")) {
      return c.modelType().equals("llama") ? " (" + CONFIG + " has attention_bias: " + c.attentionBias() + ")" : " (" + c.modelType() + " fixes the attention biases)";
    }
    if (name.equals(LlamaModel.LM_HEAD)) return " (" + CONFIG + " has tie_word_embeddings: " + c.tieWordEmbeddings() + ")";
    return "";
  }

  /** Maps every tensor name to the file that holds it, from the index or the single file. */
  static Map<String, Path> weightFiles(Path dir) {
    Path index = dir.resolve(INDEX);
    Path single = dir.resolve(SINGLE);
    Map<String, Path> where = new LinkedHashMap<>();
    if (Files.isRegularFile(index)) {
      JsonNode root;
      try {
        root = JSON.readTree(Files.readAllBytes(index));
      } catch (IOException e) {
        throw new CheckpointException(index + ": cannot read shard index: " + e.getMessage(), e);
      }
      JsonNode map = root == null ? null : root.get("weight_map");
      if (map == null || !map.isObject()) throw CheckpointException.inFile(index, "shard index has no weight_map object");
      map.fields().forEachRemaining(f -> where.put(f.getKey(), dir.resolve(f.getValue().asText())));
      for (Path p : new java.util.HashSet<>(where.values())) {
        if (!Files.isRegularFile(p)) throw CheckpointException.inFile(p, "shard listed in " + INDEX + " is missing");
      }
    } else if (Files.isRegularFile(single)) {
      try (SafeTensors st = SafeTensors.open(single)) {
        for (String n : st.names()) where.put(n, single);
      }
    } else {
      throw CheckpointException.inFile(dir, "no weights: neither " + SINGLE + " nor " + INDEX + " is present");
    }
    return where;
  }

  /** Every tensor name the config implies, with its HF shape ([out, in] for linear weights); lm_head even when tied. */
  public static Map<String, long[]> expectedShapes(LlamaConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    long d = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long ffn = c.intermediateSize();
    m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      m.put(p + "input_layernorm.weight", new long[] {d});
      linear(m, p + "self_attn.q_proj", q, d, c.attentionBias());
      linear(m, p + "self_attn.k_proj", kv, d, c.attentionBias());
      linear(m, p + "self_attn.v_proj", kv, d, c.attentionBias());
      linear(m, p + "self_attn.o_proj", d, q, c.outputProjectionBias());
      m.put(p + "post_attention_layernorm.weight", new long[] {d});
      linear(m, p + "mlp.gate_proj", ffn, d, c.mlpBias());
      linear(m, p + "mlp.up_proj", ffn, d, c.mlpBias());
      linear(m, p + "mlp.down_proj", d, ffn, c.mlpBias());
    }
    m.put("model.norm.weight", new long[] {d});
    m.put("lm_head.weight", new long[] {c.vocabSize(), d});
    return m;
  }

  private static void linear(Map<String, long[]> m, String prefix, long out, long in, boolean bias) {
    m.put(prefix + ".weight", new long[] {out, in});
    if (bias) m.put(prefix + ".bias", new long[] {out});
  }

  /**
   * Saves a checkpoint in HF layout. Tensors are stored in {@code dtype}; above {@code maxShardBytes}
   * the weights are sharded with an index. The directory is written in a sibling temp folder and
   * moved into place, so a reader never sees half a checkpoint. Tokenizer files are copied from
   * {@code tokenizerSource} when given.
   */
  public static void save(Path dir, LlamaConfig config, Map<String, HostTensor> tensors, DType dtype,
      long maxShardBytes, Path tokenizerSource) throws IOException {
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
    try {
      List<HostTensor> ordered = new ArrayList<>();
      for (HostTensor t : new TreeMap<>(tensors).values()) {
        if (config.tieWordEmbeddings() && t.name().equals("lm_head.weight")) continue;
        ordered.add(new HostTensor(t.name(), dtype, t.shape(), t.data()));
      }
      Map<String, String> meta = Map.of("format", "pt");
      List<List<HostTensor>> shards = SafeTensors.shard(ordered, maxShardBytes);
      if (shards.size() <= 1) {
        SafeTensors.write(tmp.resolve(SINGLE), ordered, meta);
      } else {
        ObjectNode index = JSON.createObjectNode();
        long total = ordered.stream().mapToLong(HostTensor::byteSize).sum();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
          String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
          SafeTensors.write(tmp.resolve(name), shards.get(i), meta);
          for (HostTensor t : shards.get(i)) map.put(t.name(), name);
        }
        Files.write(tmp.resolve(INDEX), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
      }
      Files.write(tmp.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config.toJson(dtype)));
      if (tokenizerSource != null) {
        for (String f : COMPANION_FILES) {
          Path src = tokenizerSource.resolve(f);
          if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      if (Files.exists(dir)) {
        Path old = Files.createTempDirectory(parent, "." + dir.getFileName() + ".old");
        Files.delete(old);
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
      } else {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException e) {
      deleteTree(tmp);
      throw e;
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
    }
  }
}
