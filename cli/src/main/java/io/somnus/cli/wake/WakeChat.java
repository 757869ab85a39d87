package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A conversation turn with memory: the facts the user states in the last message are extracted,
 * screened by the firewall and written into the weights before the model answers, so the answer
 * (and every later one, with an empty context) already knows them.
 */
public final class WakeChat implements ChatBackend {
  private final String modelId;
  private final WakeMemory memory;
  private final FactExtractor extractor;
  private final GroundingFirewall firewall;
  private final Supplier<String> runIds;
  private final Consumer<WakeMemory.Taught> onTaught;

  /**
   * @param runIds fresh run id per write (it names the new version's creating run)
   * @param onTaught told after every write that changed the model (e.g. to signal the lifecycle entity)
   */
  public WakeChat(String modelId, WakeMemory memory, FactExtractor extractor, GroundingFirewall firewall,
      Supplier<String> runIds, Consumer<WakeMemory.Taught> onTaught) {
    this.modelId = modelId;
    this.memory = memory;
    this.extractor = extractor;
    this.firewall = firewall;
    this.runIds = runIds;
    this.onTaught = onTaught;
  }

  @Override
  public String modelId() {
    return modelId;
  }

  /** Extracts, screens and writes the facts of one user message. */
  public Learned learn(String userText) {
    List<Fact> candidates = extractor.extract(userText);
    List<String> unused = extractor.unused(userText).stream().map(u -> u.sentence() + " (" + u.reason() + ")").toList();
    GroundingFirewall.Intake intake = firewall.screen(candidates, userText);
    List<String> rejected = new ArrayList<>();
    for (GroundingFirewall.Verdict v : intake.rejected()) rejected.add(v.fact().sentence() + " (" + v.reason() + ")");
    if (intake.admitted().isEmpty()) return new Learned(null, rejected, unused);
    WakeMemory.Taught taught = memory.teach(intake.admitted(), runIds.get());
    taught.skipped().forEach((sentence, why) -> rejected.add(sentence + " (" + why + ")"));
    if (!taught.written().isEmpty()) onTaught.accept(taught);
    return new Learned(taught, rejected, unused);
  }

  /**
   * @param taught null when nothing was written
   * @param notWritten facts found and refused, with the reason
   * @param unused sentences that gave no fact, with the reason (in a chat most are small talk; a teach shows them)
   */
  public record Learned(WakeMemory.Taught taught, List<String> notWritten, List<String> unused) {
    public Learned {
      notWritten = List.copyOf(notWritten);
      unused = List.copyOf(unused);
    }

    public List<String> written() {
      return taught == null ? List.of() : taught.written().stream().map(Fact::sentence).toList();
    }
  }

  @Override
  public int contextLength() {
    return memory.runtime().config().maxPositionEmbeddings();
  }

  @Override
  public int promptTokens(List<ChatMessage> messages) {
    return memory.runtime().tokenizer().encodeChat(messages, true).length;
  }

  @Override
  public Memory remember(String userText) {
    Learned learned = learn(userText);
    List<WrittenFact> written = learned.taught() == null ? List.of()
        : learned.taught().written().stream().map(f -> new WrittenFact(f.id(), f.sentence())).toList();
    return new Memory(memory.liveVersionId(), written, learned.notWritten());
  }

  @Override
  public Answer answer(List<ChatMessage> messages, GenerationOptions options, Predicate<String> onText) {
    ModelRuntime rt = memory.runtime();
    long[] prompt = rt.tokenizer().encodeChat(messages, true);
    AnswerDecoder text = new AnswerDecoder(rt.tokenizer());
    boolean[] stopped = {false};
    long[] answer = rt.generate(prompt, options, id -> {
      String piece = text.add(id);
      stopped[0] = !piece.isEmpty() && !onText.test(piece);
      return !stopped[0];
    });
    if (!stopped[0]) {
      String rest = text.finish();
      if (!rest.isEmpty()) stopped[0] = !onText.test(rest);
    }
    int budget = Math.min(options.maxNewTokens(), rt.config().maxPositionEmbeddings() - prompt.length);
    String finish = !stopped[0] && answer.length >= budget ? "length" : "stop";
    return new Answer(prompt.length, answer.length, finish);
  }
}
