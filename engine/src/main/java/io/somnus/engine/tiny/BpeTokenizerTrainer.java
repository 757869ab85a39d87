package io.somnus.engine.tiny;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer (the GPT-2 / Llama-3 scheme) and writes it as a Hugging Face
 * {@code tokenizer.json}, so that somnus-tiny is tokenized by the same library and code path as any
 * downloaded checkpoint. Byte-level means every string is encodable: names a user types that the
 * corpus never saw still become (shorter-merged) tokens instead of an unknown token.
 */
public final class BpeTokenizerTrainer {
  public static final String END_OF_TEXT = "<|endoftext|>";
  public static final String IM_START = "<|im_start|>";
  public static final String IM_END = "<|im_end|>";
  public static final List<String> SPECIALS = List.of(END_OF_TEXT, IM_START, IM_END);

  /** The pre-tokenisation split of HF's ByteLevel pre-tokenizer (use_regex = true), which the trainer must mirror. */
  private static final Pattern PRE_TOKEN =
      Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
  private static final Pattern SPECIAL = Pattern.compile("<\\|endoftext\\|>|<\\|im_start\\|>|<\\|im_end\\|>");
  private static final ObjectMapper JSON = new ObjectMapper();

  private BpeTokenizerTrainer() {}

  /** Result of training: the vocabulary (token → id, specials first) and merges in rank order. */
  public record Trained(Map<String, Integer> vocab, List<String[]> merges) {}

  public static Trained train(Iterable<String> documents, int vocabSize) {
    String[] byteChar = byteToUnicode();
    Map<String, Integer> wordCounts = new HashMap<>();
    for (String doc : documents) {
      for (String piece : SPECIAL.split(doc)) {
        Matcher m = PRE_TOKEN.matcher(piece);
        while (m.find()) {
          StringBuilder sb = new StringBuilder();
          for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) sb.append(byteChar[b & 0xff]);
          wordCounts.merge(sb.toString(), 1, Integer::sum);
        }
      }
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String s : SPECIALS) vocab.put(s, vocab.size());
    for (String c : byteChar) vocab.put(c, vocab.size());
    // Words as symbol arrays; sorted so that training is deterministic regardless of hash order.
    List<String> words = new ArrayList<>(wordCounts.keySet());
    words.sort(null);
    List<List<String>> symbols = new ArrayList<>();
    int[] counts = new int[words.size()];
    for (int i = 0; i < words.size(); i++) {
      List<String> sym = new ArrayList<>();
      words.get(i).codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
      symbols.add(sym);
      counts[i] = wordCounts.get(words.get(i));
    }
    List<String[]> merges = new ArrayList<>();
    while (vocab.size() < vocabSize) {
      Map<String, Long> pairs = new HashMap<>();
      for (int w = 0; w < symbols.size(); w++) {
        List<String> s = symbols.get(w);
        for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + "\u0000" + s.get(i + 1), (long) counts[w], Long::sum);
      }
      String best = null;
      long bestCount = 1; // a pair seen once teaches nothing
      for (Map.Entry<String, Long> e : pairs.entrySet()) {
        if (e.getValue() > bestCount || (e.getValue() == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best == null) break;
      String[] pair = best.split("\u0000", 2);
      String merged = pair[0] + pair[1];
      merges.add(pair);
      vocab.putIfAbsent(merged, vocab.size());
      for (List<String> s : symbols) {
        for (int i = 0; i + 1 < s.size(); i++) {
          if (s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
            s.set(i, merged);
            s.remove(i + 1);
          }
        }
      }
    }
    return new Trained(vocab, merges);
  }

  /** Writes tokenizer.json and tokenizer_config.json (ChatML template) into {@code dir}, atomically per file. */
  public static void write(Trained t, Path dir, int maxLength) throws IOException {
    Files.createDirectories(dir);
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (String s : SPECIALS) {
      ObjectNode a = added.addObject();
      a.put("id", t.vocab().get(s));
      a.put("content", s);
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "ByteLevel");
    pre.put("add_prefix_space", false);
    pre.put("trim_offsets", true);
    pre.put("use_regex", true);
    // Every encoded sequence starts with <|endoftext|> as a beginning-of-text marker, as in pretraining.
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", END_OF_TEXT).put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", END_OF_TEXT).put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode st = post.putObject("special_tokens").putObject(END_OF_TEXT);
    st.put("id", END_OF_TEXT);
    st.putArray("ids").add(t.vocab().get(END_OF_TEXT));
    st.putArray("tokens").add(END_OF_TEXT);
    ObjectNode dec = root.putObject("decoder");
    dec.put("type", "ByteLevel");
    dec.put("add_prefix_space", true);
    dec.put("trim_offsets", true);
    dec.put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    t.vocab().forEach(vocab::put);
    ArrayNode merges = model.putArray("merges");
    for (String[] m : t.merges()) merges.add(m[0] + " " + m[1]);
    AtomicFiles.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(root));

    ObjectNode cfg = JSON.createObjectNode();
    cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
    cfg.put("bos_token", END_OF_TEXT);
    cfg.put("eos_token", IM_END);
    cfg.put("pad_token", END_OF_TEXT);
    cfg.put("model_max_length", maxLength);
    cfg.put("chat_template", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
        + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
    AtomicFiles.write(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
  }


  /** GPT-2's reversible map from bytes to printable unicode characters. */
  static String[] byteToUnicode() {
    String[] out = new String[256];
    boolean[] direct = new boolean[256];
    for (int b = '!'; b <= '~'; b++) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (direct[b]) {
        out[b] = new String(Character.toChars(b));
      } else {
        out[b] = new String(Character.toChars(256 + n++));
      }
    }
    return out;
  }
}
