package io.somnus.engine.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code tokenizer.json} through DJL's binding of the Hugging Face tokenizers library (the native
 * library ships inside the Maven jar), plus the chat format read from {@code tokenizer_config.json}.
 */
public final class TextTokenizer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer hf;
  private final ChatFormat chatFormat;
  private final Set<Long> stopIds;

  private TextTokenizer(HuggingFaceTokenizer hf, ChatFormat chatFormat, Set<Long> stopIds) {
    this.hf = hf;
    this.chatFormat = chatFormat;
    this.stopIds = stopIds;
  }

  /** Loads the tokenizer of a checkpoint directory; {@code eosTokenIds} come from config.json (all of them end generation). */
  public static TextTokenizer load(Path dir, List<Integer> eosTokenIds) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) throw CheckpointException.inFile(dir, "tokenizer.json is missing");
    Runtimes.configureOffline();
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true)
          .optTruncation(false).optPadding(false).optMaxLength(1 << 20).build();
    } catch (IOException | RuntimeException e) {
      throw new CheckpointException(file + ": cannot load tokenizer: " + e.getMessage(), e);
    }
    ChatFormat format = null;
    Path cfg = dir.resolve("tokenizer_config.json");
    if (Files.isRegularFile(cfg)) {
      try {
        JsonNode root = JSON.readTree(Files.readAllBytes(cfg));
        JsonNode tpl = root.get("chat_template");
        String template = tpl == null ? null : tpl.isTextual() ? tpl.asText() : tpl.toString();
        format = ChatFormat.detect(template);
      } catch (IOException e) {
        hf.close();
        throw new CheckpointException(cfg + ": cannot read: " + e.getMessage(), e);
      }
    }
    if (format == null) {
      // No usable template: pick by the special tokens the vocabulary has.
      format = hf.encode("<|start_header_id|>", false, false).getIds().length == 1 ? ChatFormat.LLAMA3 : ChatFormat.CHATML;
    }
    TextTokenizer t = new TextTokenizer(hf, format, new LinkedHashSet<>());
    for (String s : format.stopTokens()) {
      Long id = t.specialTokenId(s);
      if (id != null) t.stopIds.add(id);
    }
    for (int id : eosTokenIds) t.stopIds.add((long) id);
    return t;
  }

  public ChatFormat chatFormat() {
    return chatFormat;
  }

  /** Token ids that end generation. */
  public Set<Long> stopIds() {
    return Set.copyOf(stopIds);
  }

  /** Encodes raw text with the tokenizer's special tokens (BOS where the tokenizer adds one). */
  public long[] encode(String text) {
    return hf.encode(text, true, false).getIds();
  }

  /** Encodes text without adding special tokens (for continuations appended to a prompt). */
  public long[] encodeContinuation(String text) {
    return hf.encode(text, false, false).getIds();
  }

  /** Encodes a conversation in the model's chat format. */
  public long[] encodeChat(List<ChatMessage> messages, boolean generationPrompt) {
    String text = chatFormat.render(messages, generationPrompt);
    return hf.encode(text, chatFormat.tokenizerAddsBos(), false).getIds();
  }

  public String decode(long[] ids) {
    return hf.decode(ids, true);
  }

  /** The id of a token that encodes to exactly one id, or null. */
  public Long specialTokenId(String token) {
    Encoding e = hf.encode(token, false, false);
    long[] ids = e.getIds();
    return ids.length == 1 ? ids[0] : null;
  }

  public List<String> tokens(String text) {
    return new ArrayList<>(List.of(hf.encode(text, false, false).getTokens()));
  }

  @Override
  public void close() {
    hf.close();
  }
}
