package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.runtime.ModelRuntime;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.store.FactRow;
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
  private final FactClassifier classifier;
  private final Supplier<String> runIds;
  private final Consumer<WakeMemory.Taught> onTaught;

  /** With the synthetic world's single-valued relations ({@link FactClassifier#forSyntheticWorld}). */
  public WakeChat(String modelId, WakeMemory memory, FactExtractor extractor, GroundingFirewall firewall,
      Supplier<String> runIds, Consumer<WakeMemory.Taught> onTaught) {
    this(modelId, memory, extractor, firewall, FactClassifier.forSyntheticWorld(), runIds, onTaught);
  }

  /**
   * @param classifier decides NEW, UPDATE, DUPLICATE or RETRACT per fact, against the live memory
   * @param runIds fresh run id per write (it names the new version's creating run)
   * @param onTaught told after every write that changed the model (e.g. to signal the lifecycle entity)
   */
  public WakeChat(String modelId, WakeMemory memory, FactExtractor extractor, GroundingFirewall firewall, FactClassifier classifier,
      Supplier<String> runIds, Consumer<WakeMemory.Taught> onTaught) {
    this.modelId = modelId;
    this.memory = memory;
    this.extractor = extractor;
    this.firewall = firewall;
    this.classifier = classifier;
    this.runIds = runIds;
    this.onTaught = onTaught;
  }

  @Override
  public String modelId() {
    return modelId;
  }

  /**
   * Extracts and screens the facts of one user message, classifies each against the live memory, and carries the plan
   * out as one write: NEW and UPDATE facts are written, the values UPDATEs replace and RETRACTed facts are taken out.
   */
  public Learned learn(String userText) {
    List<Fact> candidates = extractor.extract(userText);
    List<String> unused = extractor.unused(userText).stream().map(u -> u.sentence() + " (" + u.reason() + ")").toList();
    GroundingFirewall.Intake intake = firewall.screen(candidates, userText);
    GroundingFirewall.Intake retractions = firewall.screenRetractions(extractor.retractions(userText), userText);
    List<String> rejected = new ArrayList<>();
    for (GroundingFirewall.Verdict v : intake.rejected()) rejected.add(v.fact().sentence() + " (" + v.reason() + ")");
    for (GroundingFirewall.Verdict v : retractions.rejected()) rejected.add("no longer: " + v.fact().sentence() + " (" + v.reason() + ")");
    if (intake.admitted().isEmpty() && retractions.admitted().isEmpty()) return new Learned(null, rejected, unused, List.of());
    FactStageTable held = memory.facts();
    FactClassifier.Plan plan = classifier.classify(intake.admitted(), retractions.admitted(), held, memory.runtime());
    plan.refused().forEach((f, why) -> rejected.add("no longer: " + f.sentence() + " (" + why + ")"));
    List<Fact> writes = new ArrayList<>();
    List<WakeMemory.Removal> removals = new ArrayList<>();
    for (FactClassifier.Classified c : plan.classified()) {
      switch (c.change()) {
        case NEW -> writes.add(c.fact());
        case UPDATE -> {
          writes.add(c.fact());
          // every held value of the subject and relation: memory written before updates existed may hold several
          if (c.replacesHeld()) {
            for (FactStageTable.Entry e : held.entries()) {
              Fact old = e.fact();
              if (old.subject().equals(c.fact().subject()) && old.relation().equals(c.fact().relation()) && !old.equals(c.fact())) {
                removals.add(new WakeMemory.Removal(old, FactRow.SUPERSEDED, c.fact()));
              }
            }
          }
        }
        case RETRACT -> removals.add(new WakeMemory.Removal(c.fact(), FactRow.RETRACTED, null));
        case DUPLICATE -> rejected.add(c.fact().sentence() + " (" + c.note() + ")");
      }
    }
    if (writes.isEmpty() && removals.isEmpty()) return new Learned(null, rejected, unused, plan.classified());
    WakeMemory.Taught taught = memory.teach(writes, removals, runIds.get());
    taught.skipped().forEach((sentence, why) -> rejected.add(sentence + " (" + why + ")"));
    if (taught.changed()) onTaught.accept(taught);
    return new Learned(taught, rejected, unused, plan.classified());
  }

  /**
   * @param taught null when nothing was written
   * @param notWritten facts found and refused, with the reason
   * @param unused sentences that gave no fact, with the reason (in a chat most are small talk; a teach shows them)
   * @param classified every screened fact with what it does to memory (NEW, UPDATE, DUPLICATE, RETRACT)
   */
  public record Learned(WakeMemory.Taught taught, List<String> notWritten, List<String> unused,
      List<FactClassifier.Classified> classified) {
    public Learned {
      notWritten = List.copyOf(notWritten);
      unused = List.copyOf(unused);
      classified = List.copyOf(classified);
    }

    public List<String> written() {
      return taught == null ? List.of() : taught.written().stream().map(Fact::sentence).toList();
    }

    /** Each classified fact as the chat and HTTP report it; a NEW or UPDATE fact that was not written is left out. */
    public List<ChatBackend.FactChange> changes() {
      List<ChatBackend.FactChange> out = new ArrayList<>();
      for (FactClassifier.Classified c : classified) {
        boolean writes = c.change() == FactClassifier.Change.NEW || c.change() == FactClassifier.Change.UPDATE;
        if (writes && (taught == null || !taught.written().contains(c.fact()))) continue;
        if (c.change() == FactClassifier.Change.RETRACT
            && (taught == null || taught.removed().stream().noneMatch(r -> r.fact().equals(c.fact())))) continue;
        out.add(new ChatBackend.FactChange(c.fact().id(), c.fact().sentence(), c.change().name(),
            c.replaces() == null ? null : c.replaces().sentence(), c.note()));
      }
      return out;
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
    return new Memory(memory.liveVersionId(), written, learned.notWritten(), learned.changes());
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
