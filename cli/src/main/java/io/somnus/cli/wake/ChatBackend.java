package io.somnus.cli.wake;

import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the HTTP endpoint and the chat command talk to: the remembering model, one conversation turn at a time.
 * A turn is {@link #remember} (the facts the user stated are written into the weights) and then {@link #answer}, so
 * that a request can be checked against the model ({@link #promptTokens}, {@link #contextLength}) before anything is
 * written, and the answer can be streamed.
 */
public interface ChatBackend {
  /** A fact a turn wrote into the weights: {@code id} is the ledger's fact id ({@code somnus lineage fact ID}). */
  record WrittenFact(String id, String sentence) {}

  /**
   * What a turn wrote before answering.
   *
   * @param modelVersion the live version after the write (the one that answers)
   * @param notWritten candidate facts refused (by the firewall or by MEMIT), each with the reason
   */
  record Memory(String modelVersion, List<WrittenFact> written, List<String> notWritten, List<FactChange> changes) {
    public Memory {
      written = List.copyOf(written);
      notWritten = List.copyOf(notWritten);
      changes = List.copyOf(changes);
    }

    public Memory(String modelVersion, List<WrittenFact> written, List<String> notWritten) {
      this(modelVersion, written, notWritten, List.of());
    }
  }

  /**
   * What one stated fact did to memory: {@code change} is NEW, UPDATE, DUPLICATE or RETRACT
   * ({@link FactClassifier.Change}); {@code replaces} the sentence of the value it took out (UPDATE, RETRACT), else null.
   */
  record FactChange(String id, String sentence, String change, String replaces, String note) {}

  /** @param finishReason OpenAI's: "stop" (end of answer, or the caller stopped it) or "length" (token limit) */
  record Answer(int promptTokens, int completionTokens, String finishReason) {}

  /**
   * A whole turn, as the chat command shows it.
   *
   * @param factsWritten facts taken from the user's last message and written into the weights before answering
   * @param factsRejected candidate facts the firewall refused, with the reason
   */
  record Reply(String content, int promptTokens, int completionTokens, String finishReason, List<String> factsWritten,
      List<String> factsRejected, List<FactChange> changes) {
    public Reply {
      factsWritten = List.copyOf(factsWritten);
      factsRejected = List.copyOf(factsRejected);
      changes = List.copyOf(changes);
    }
  }

  /** Model name reported by {@code /v1/models} and in responses. */
  String modelId();

  /** Tokens the model attends to: prompt and answer together. */
  int contextLength();

  /** Tokens the prompt of {@code messages} takes in the model's chat format. */
  int promptTokens(List<ChatMessage> messages);

  /** Finds the facts stated in {@code userText}, screens them and writes those admitted into the weights. */
  Memory remember(String userText);

  /**
   * Answers {@code messages} as the assistant, handing each new piece of text to {@code onText} as soon as it is
   * decoded; the pieces join to the whole answer (surrounding whitespace trimmed). {@code onText} returning false ends
   * the answer there.
   */
  Answer answer(List<ChatMessage> messages, GenerationOptions options, Predicate<String> onText);

  /** {@link #remember} the last message, then {@link #answer} all of them. */
  default Reply chat(List<ChatMessage> messages, GenerationOptions options) {
    Memory memory = remember(messages.get(messages.size() - 1).content());
    StringBuilder text = new StringBuilder();
    Answer answer = answer(messages, options, piece -> {
      text.append(piece);
      return true;
    });
    List<String> written = new ArrayList<>();
    memory.written().forEach(f -> written.add(f.sentence()));
    return new Reply(text.toString(), answer.promptTokens(), answer.completionTokens(), answer.finishReason(), written,
        memory.notWritten(), memory.changes());
  }
}
