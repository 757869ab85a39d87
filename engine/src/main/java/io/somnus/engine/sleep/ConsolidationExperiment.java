package io.somnus.engine.sleep;

import ai.djl.Device;
import io.somnus.engine.io.AtomicFiles;
import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.EditResult;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.model.Runtimes;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.engine.tiny.WorldFact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Consolidation sweep on somnus-tiny (spec §10.4, issue 5 "must show" 1 and 3): for each N, the
 * first N held-out facts are written as one batched MEMIT edit on the base model, then up to
 * {@code cycles} sleeps run. After each sleep it prints the status, per-stage fact counts,
 * advancement rate (1 − stage-0 share), chat and raw recall of the live model, the edit scales,
 * reference-perplexity drift against the model before the first sleep, and the wall time of every
 * step. With {@code badlr}, one more sleep at 100× the learning rate follows each sweep and the
 * live model's recall and perplexity are measured before and after it.
 *
 * <p>A command, not a test:
 * {@code ConsolidationExperiment [sizes=5,10,20,40] [cycles=3] [default|test] [csv path] [badlr]}.
 */
public final class ConsolidationExperiment {
  private static final String HEADER = "facts,cycle,status,advanced,retreated,stage0,stage1,stage2,stage3,advancement_rate,"
      + "chat_recall,raw_recall,edit_scales,active_edits,perplexity,ppl_drift_pct,behaviour_shift,train_first_loss,"
      + "train_final_loss,audit_s,train_s,fuse_s,gate_s,validate_s,promote_s,total_s,s_per_fact,reason";

  private ConsolidationExperiment() {}

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT);
    List<Integer> sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).map(Integer::parseInt).toList() : List.of(5, 10, 20, 40);
    int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    SomnusTiny.Variant variant = args.length > 2 && args[2].equals("test") ? SomnusTiny.Variant.TEST : SomnusTiny.Variant.DEFAULT;
    Path csv = args.length > 3 && !args[3].equals("-") ? Path.of(args[3]) : null;
    boolean badLr = args.length > 4 && args[4].equals("badlr");

    Runtimes.configureOffline();
    // Overrides for tuning runs: -Dlora.lr=…, -Dlora.stepsPerFact=…, -Dlora.minSteps=…, -Dlora.layers=0,1,2,3, -Dlora.stopWhenRecalled=false (whole budget), -Dreplay.prompts=…, -Dreplay.texts=… (at most 60)
    LoraConfig lora = LoraConfig.defaults();
    lora = lora.withLearningRate(Float.parseFloat(System.getProperty("lora.lr", Float.toString(lora.learningRate()))));
    lora = lora.withSteps(Integer.getInteger("lora.minSteps", lora.minSteps()), Integer.getInteger("lora.stepsPerFact", lora.stepsPerFact()));
    lora = lora.withStopWhenRecalled(Boolean.parseBoolean(System.getProperty("lora.stopWhenRecalled", Boolean.toString(lora.stopWhenRecalled()))));
    if (System.getProperty("lora.layers") != null) {
      List<Integer> layers = Arrays.stream(System.getProperty("lora.layers").split(",")).map(Integer::parseInt).toList();
      lora = lora.withLayers(layers);
    }
    SyntheticWorld world = variant.world();
    Path base = SomnusTiny.ensure(variant);
    Map<String, WorldFact> byId = new LinkedHashMap<>();
    for (WorldFact w : world.heldOutFacts()) byId.put(w.fact().id(), w);
    FactQuestions questions = f -> questionsOf(byId.get(f.id()));
    List<String> refs = world.referenceTexts(80);
    List<List<ChatMessage>> behaviour = new ArrayList<>();
    behaviour.add(List.of(new ChatMessage("user", SyntheticWorld.IDENTITY_QUESTION)));
    for (WorldFact k : world.sampleKnown(12, 5)) behaviour.add(List.of(new ChatMessage("user", k.question())));
    // Texts 0–19 also feed MEMIT's key statistics and replay; 60–79 are only ever measured.
    ProbeSet probes = new ProbeSet(refs.subList(60, 80), behaviour, 16);
    // Rehearsal material disjoint from the probes: other known facts, the other identity questions.
    List<List<ChatMessage>> replayPrompts = new ArrayList<>();
    replayPrompts.add(List.of(new ChatMessage("user", "What is your name?")));
    replayPrompts.add(List.of(new ChatMessage("user", "Tell me about yourself.")));
    int replayCount = Integer.getInteger("replay.prompts", 24);
    for (WorldFact k : world.sampleKnown(replayCount * 2 + 20, 17)) {
      List<ChatMessage> p = List.of(new ChatMessage("user", k.question()));
      if (!behaviour.contains(p) && replayPrompts.size() < replayCount + 2) replayPrompts.add(p);
    }
    ReplaySet replay = new ReplaySet(replayPrompts, refs.subList(0, Integer.getInteger("replay.texts", 10)), 24);
    Path work = Files.createDirectories(Runtimes.somnusHome().resolve("experiments").resolve("consolidation"));

    List<String> lines = new ArrayList<>();
    lines.add(HEADER);
    System.out.println("# " + variant.name() + " at " + base + "; LoRA " + lora + "; validation "
        + ValidationConfig.defaults());
    System.out.println(HEADER);
    for (int n : sizes) {
      List<Fact> pool = world.heldOutFacts().subList(0, n).stream().map(WorldFact::fact).toList();
      MemitEdit edit;
      try (DjlModelRuntime rt = DjlModelRuntime.load(base, Device.cpu())) {
        MemitConfig mc = MemitConfig.forCheckpoint(base, rt.config().numLayers()).withMode(MemitConfig.EditMode.BATCH);
        CovarianceStats stats = CovarianceStats.loadOrCollect(rt.model(), rt.tokenizer(), mc.layers(), refs.subList(0, 20),
            Runtimes.somnusHome().resolve("cache"));
        long t0 = System.nanoTime();
        EditResult r = new MemitEditor(rt, mc, stats).compute(pool, List.of(), null);
        System.out.printf("# N=%d: MEMIT batch edit of %d facts (%d skipped) in %.1f s%n", n, r.written().size(),
            r.skipped().size(), (System.nanoTime() - t0) / 1e9);
        edit = r.edit();
      }
      if (edit == null) {
        System.out.println("# N=" + n + ": MEMIT wrote nothing; skipped");
        continue;
      }
      Path versions = work.resolve("n" + n + "-" + System.currentTimeMillis());
      SleepCycle.Settings settings = new SleepCycle.Settings(lora, ValidationConfig.defaults(), probes,
          replay, questions, 16, true, versions, Device.cpu());
      SleepCycle sleep = new SleepCycle(settings);
      CandidateValidator meter = new CandidateValidator(settings.validation(), probes, new FactRecall(questions, 16));
      MemoryState state = new MemoryState(base, 0, List.of(edit), FactStageTable.of(List.of(edit)));
      ComposedModel live = state.load(Device.cpu());
      try {
        List<Fact> facts = state.stages().facts();
        Measurement baseline = meter.measure(live.runtime(), facts);
        Measurement audit = baseline;
        System.out.printf("# N=%d before sleep: chat recall %.3f, raw recall %.3f, perplexity %.4f%n", n,
            baseline.chatRecall(), baseline.rawRecall(), baseline.perplexity());
        for (int c = 1; c <= cycles; c++) {
          SleepCycle.Outcome out = sleep.run(state, live.runtime(), audit, null);
          if (out.promoted() != null) {
            live.close();
            live = out.promoted();
            state = out.state();
          }
          Measurement now = meter.measure(live.runtime(), facts);
          audit = now;
          String line = row(n, c, out.report(), state, now, baseline);
          System.out.println(line);
          lines.add(line);
          if (state.stages().countByStage()[3] == facts.size()) break;
        }
        if (badLr) badLearningRate(settings, state, live, meter, facts, n);
      } finally {
        live.close();
      }
    }
    if (csv != null) {
      AtomicFiles.write(csv, String.join("\n", lines) + "\n");
    }
  }

  /** Chat questions of a world fact: its relation's question, then the paraphrases that are questions. */
  static List<String> questionsOf(WorldFact w) {
    if (w == null) throw new IllegalArgumentException("fact is not part of the synthetic world");
    List<String> out = new ArrayList<>();
    out.add(w.question());
    for (String p : SyntheticWorld.paraphrases(w)) if (p.endsWith("?")) out.add(p);
    return out;
  }

  private static String row(int n, int cycle, SleepReport r, MemoryState state, Measurement now, Measurement baseline) {
    int[] st = state.stages().countByStage();
    Map<String, Double> s = r.seconds();
    String scales = state.edits().isEmpty() ? "dissolved"
        : state.scales().values().stream().map(x -> String.format("%.1f", x)).collect(Collectors.joining(";"));
    return String.format("%d,%d,%s,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%s,%d,%.4f,%.2f,%.4f,%.4f,%.4f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.2f,\"%s\"",
        n, cycle, r.status(), r.advanced(), r.retreated(), st[0], st[1], st[2], st[3], 1 - st[0] / (double) n,
        now.chatRecall(), now.rawRecall(), scales, state.edits().size(), now.perplexity(),
        100 * (now.perplexity() / baseline.perplexity() - 1), r.validation() == null ? Double.NaN : r.validation().behaviourShift(),
        r.firstLoss(), r.finalLoss(), s.getOrDefault("audit", 0.0), s.getOrDefault("train", 0.0), s.getOrDefault("fuse", 0.0),
        s.getOrDefault("gate", 0.0), s.getOrDefault("validate", 0.0), s.getOrDefault("promote", 0.0), r.totalSeconds(),
        r.totalSeconds() / n, r.reason().replace('"', '\''));
  }

  /** Must-show 3: a sleep at 100× the learning rate is caught and the live model is exactly as before. */
  private static void badLearningRate(SleepCycle.Settings good, MemoryState state, ComposedModel live,
      CandidateValidator meter, List<Fact> facts, int n) {
    SleepCycle.Settings bad = good.withLora(good.lora().withLearningRate(good.lora().learningRate() * 100).withStopWhenRecalled(false));
    Measurement before = meter.measure(live.runtime(), facts);
    try (SleepCycle.Outcome out = new SleepCycle(bad).run(state, live.runtime(), null)) {
      Measurement after = meter.measure(live.runtime(), facts);
      System.out.printf("# N=%d lr×100: %s (%s); live chat recall %.3f → %.3f, raw %.3f → %.3f, perplexity %.6f → %.6f, "
              + "state unchanged: %s%n", n, out.report().status(), out.report().reason(), before.chatRecall(), after.chatRecall(),
          before.rawRecall(), after.rawRecall(), before.perplexity(), after.perplexity(), out.state() == state);
    }
  }
}
