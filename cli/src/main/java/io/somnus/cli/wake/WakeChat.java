package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
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
  public Reply chat(List<ChatMessage> messages, GenerationOptions options) {
    Learned learned = learn(messages.get(messages.size() - 1).content());
    ModelRuntime rt = memory.runtime();
    long[] prompt = rt.tokenizer().encodeChat(messages, true);
    long[] answer = rt.generate(prompt, options);
    String text = rt.tokenizer().decode(answer).strip();
    String finish = answer.length >= options.maxNewTokens() ? "length" : "stop";
    return new Reply(text, prompt.length, answer.length, finish, learned.written(), learned.notWritten());
  }
}
