package io.somnus.evaluation;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks a model one probe, closed-book (memory in the weights only) or with BM25-retrieved fact
 * sentences in the context, and records the answer, whether it is right, how many prompt tokens it
 * took and how long (retrieval included). Greedy decoding, so answers never depend on a draw.
 */
public final class Answerer {
  /** Where retrieved sentences go. */
  public enum Context {
    /** No retrieval: the weights are the only memory. */
    CLOSED_BOOK,
    /** A system message listing the retrieved sentences, then the question as the user turn. */
    SYSTEM,
    /** The retrieved sentences and then the question in one user turn. */
    USER
  }

  public record Answer(String output, boolean correct, int promptTokens, double seconds, boolean goldRetrieved) {}

  private final ModelRuntime rt;
  private final Bm25FactIndex index;
  private final int k;
  private final Context context;
  private final int chatTokens;
  private final int rawTokens;

  public Answerer(ModelRuntime rt, Bm25FactIndex index, int k, Context context, int chatTokens, int rawTokens) {
    if (context != Context.CLOSED_BOOK && index == null) throw new IllegalArgumentException(context + " needs an index");
    this.rt = rt;
    this.index = index;
    this.k = k;
    this.context = context;
    this.chatTokens = chatTokens;
    this.rawTokens = rawTokens;
  }

  public static Answerer closedBook(ModelRuntime rt, int chatTokens, int rawTokens) {
    return new Answerer(rt, null, 0, Context.CLOSED_BOOK, chatTokens, rawTokens);
  }

  public Answer answer(Probe p) {
    long t0 = System.nanoTime();
    List<String> retrieved = context == Context.CLOSED_BOOK ? List.of() : index.search(p.text(), k);
    boolean gold = retrieved.contains(p.fact().sentence());
    String out;
    int tokens;
    if (p.kind().chat) {
      List<ChatMessage> messages = messages(retrieved, p.text());
      tokens = rt.tokenizer().encodeChat(messages, true).length;
      out = rt.chat(messages, GenerationOptions.greedy(chatTokens));
    } else {
      // One statement per line, as in the corpus, then the cloze prompt on its own line.
      String prompt = retrieved.isEmpty() ? p.text() : String.join("\n", retrieved) + "\n" + p.text();
      tokens = rt.tokenizer().encode(prompt).length;
      out = rt.complete(prompt, GenerationOptions.greedy(rawTokens));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Answer(out, p.correct(out), tokens, seconds, gold);
  }

  private List<ChatMessage> messages(List<String> retrieved, String question) {
    List<ChatMessage> m = new ArrayList<>();
    switch (context) {
      case CLOSED_BOOK -> m.add(ChatMessage.user(question));
      case SYSTEM -> {
        m.add(ChatMessage.system(String.join(" ", retrieved)));
        m.add(ChatMessage.user(question));
      }
      case USER -> m.add(ChatMessage.user(String.join(" ", retrieved) + "\n" + question));
    }
    return m;
  }
}
