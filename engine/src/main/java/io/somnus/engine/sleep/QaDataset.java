package io.somnus.engine.sleep;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Renders facts as training sequences in the model's own chat format: every question phrasing of a
 * fact becomes a (user question, assistant statement) pair, and optionally the raw statement
 * "subject relation" → " object." so that the completion pathway keeps the fact too once its MEMIT
 * edit dissolves.
 */
public final class QaDataset {
  private QaDataset() {}

  /** The assistant's answer to any question about {@code fact}: the plain statement, as the corpus answers. */
  public static String answer(Fact fact) {
    return fact.sentence();
  }

  public static List<QaExample> build(TextTokenizer tokenizer, List<Fact> facts, FactQuestions questions, boolean rawStatements) {
    List<QaExample> out = new ArrayList<>();
    for (Fact f : facts) {
      List<String> qs = questions.questions(f);
      if (qs.isEmpty()) throw new IllegalArgumentException("no question phrasing for fact '" + f.sentence() + "'");
      for (String q : qs) {
        if (q.contains(f.object())) {
          throw new IllegalArgumentException("question '" + q + "' contains the answer '" + f.object() + "'; it would teach nothing");
        }
        out.add(keyedChat(tokenizer, f, q));
      }
      if (rawStatements) out.add(keyedRaw(tokenizer, f));
    }
    return out;
  }

  /**
   * Prompt = the conversation with an open assistant turn; answer = the assistant text and the
   * end-of-turn token (so that the model also learns to stop), nothing after it.
   */
  static QaExample chatExample(TextTokenizer tokenizer, String question, String answer) {
    long[] prompt = tokenizer.encodeChat(List.of(new ChatMessage("user", question)), true);
    long[] full = tokenizer.encodeChat(List.of(new ChatMessage("user", question), new ChatMessage("assistant", answer)), false);
    long[] answerIds;
    if (full.length > prompt.length && Arrays.equals(Arrays.copyOf(full, prompt.length), prompt)) {
      answerIds = Arrays.copyOfRange(full, prompt.length, full.length);
    } else {
      // The tokenizer merged across the prompt/answer boundary; encode the answer on its own so the
      // prompt the model is trained on is exactly the one it will be asked with.
      answerIds = tokenizer.encodeContinuation(answer);
    }
    int end = answerIds.length;
    for (int i = 0; i < answerIds.length; i++) {
      if (tokenizer.stopIds().contains(answerIds[i])) {
        end = i + 1;
        break;
      }
    }
    long[] tokens = new long[prompt.length + end];
    System.arraycopy(prompt, 0, tokens, 0, prompt.length);
    System.arraycopy(answerIds, 0, tokens, prompt.length, end);
    return new QaExample(tokens, prompt.length);
  }

  /**
   * The examples that say whether a fact is learned, a subset of {@link #build}'s: the canonical question (the one
   * the gate and the validator ask) and, with {@code rawStatements}, the raw statement.
   */
  public static List<QaExample> recallChecks(TextTokenizer tokenizer, List<Fact> facts, FactQuestions questions,
      boolean rawStatements) {
    List<QaExample> out = new ArrayList<>();
    for (Fact f : facts) {
      out.add(keyedChat(tokenizer, f, questions.canonical(f)));
      if (rawStatements) out.add(keyedRaw(tokenizer, f));
    }
    return out;
  }

  /** Keyed on the whole statement: a recall check passes only when the subject comes back intact with the object. */
  private static QaExample keyedChat(TextTokenizer tokenizer, Fact f, String question) {
    return keyed(tokenizer, chatExample(tokenizer, question, answer(f)), f.prompt() + " " + f.object());
  }

  private static QaExample keyedRaw(TextTokenizer tokenizer, Fact f) {
    return keyed(tokenizer, rawExample(tokenizer, f), f.object());
  }

  /**
   * The example with its key span set to the shortest run of answer tokens that spells {@code object}, the last one
   * if it occurs twice; the whole answer when no run does (a tokenisation that splits the object oddly).
   */
  static QaExample keyed(TextTokenizer tokenizer, QaExample e, String object) {
    long[] t = e.tokens();
    for (int start = t.length - 1; start >= e.answerStart(); start--) {
      for (int end = start + 1; end <= t.length; end++) {
        if (tokenizer.decode(Arrays.copyOfRange(t, start, end)).contains(object)) {
          // Shortest from this start; a later start cannot also contain it, so this run is minimal.
          return new QaExample(t, e.answerStart(), start, end);
        }
      }
    }
    return e;
  }

  /**
   * Self-distillation: a conversation and the answer ids the live model gave to it (with its stop
   * token when it stopped on its own).
   */
  public static QaExample answerExample(TextTokenizer tokenizer, List<ChatMessage> prompt, long[] answerIds) {
    long[] p = tokenizer.encodeChat(prompt, true);
    long[] tokens = Arrays.copyOf(p, p.length + answerIds.length);
    System.arraycopy(answerIds, 0, tokens, p.length, answerIds.length);
    return new QaExample(tokens, p.length);
  }

  /** Plain text: loss on every token after the first. */
  public static QaExample textExample(TextTokenizer tokenizer, String text) {
    return new QaExample(tokenizer.encode(text), 1);
  }

  /** Raw completion: the prompt MEMIT keys on, then the object and the full stop. */
  static QaExample rawExample(TextTokenizer tokenizer, Fact fact) {
    long[] prompt = tokenizer.encode(fact.prompt());
    long[] target = tokenizer.encodeContinuation(fact.target() + ".");
    long[] tokens = new long[prompt.length + target.length];
    System.arraycopy(prompt, 0, tokens, 0, prompt.length);
    System.arraycopy(target, 0, tokens, prompt.length, target.length);
    return new QaExample(tokens, prompt.length);
  }
}
