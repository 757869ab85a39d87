package io.somnus.cli;

import io.somnus.cli.wake.PatternFactExtractor;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.infra.SomnusServices;
import io.somnus.store.FactRow;
import io.somnus.workflows.RunIds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "forget", description = {
    "Take facts out of the live model, in one new live version: a fact's share of its MEMIT edit (stage 0-2) is removed",
    "exactly (the edit is solved again for its other facts); where sleeps already put the fact into the fused weights",
    "(stage 3, or part of stage 1-2) the base model's own answer to its question is written in its place, and the next",
    "sleeps consolidate that answer, untraining the forgotten one. The ledger keeps a row saying it was forgotten and what",
    "took its place."})
final class ForgetCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Parameters(paramLabel = "FACT", arity = "1..*", description = {
      "A fact id (as `teach`, chat's /facts and `lineage fact` print it) or its statement, e.g. \"Mara Okafor lives in Lisbon.\""})
  List<String> targets = new ArrayList<>();

  @Override
  public void run() {
    String model = root.config().modelId();
    try (SomnusServices services = SomnusServices.connect(root.config()); WakeMemory memory = Wake.memory(services)) {
      FactStageTable table = memory.facts();
      List<WakeMemory.Removal> removals = new ArrayList<>();
      for (String target : targets) {
        removals.add(new WakeMemory.Removal(resolve(target.strip(), table), FactRow.FORGOTTEN, null));
      }
      Map<Fact, Integer> stages = new LinkedHashMap<>();
      for (WakeMemory.Removal r : removals) stages.put(r.fact(), table.stage(r.fact()).level());
      Map<Fact, String> before = new LinkedHashMap<>();
      for (WakeMemory.Removal r : removals) before.put(r.fact(), answer(memory, r.fact()));
      WakeMemory.Taught t = memory.teach(List.of(), removals, RunIds.fresh("forget", model, System.currentTimeMillis()));
      System.out.println("version " + t.versionId() + " is live:");
      for (WakeMemory.Removal r : t.removed()) {
        Fact f = r.fact();
        String now = answer(memory, f);
        System.out.println("  x " + f.id() + "  " + f.sentence() + " forgotten; \"" + f.prompt() + "\" was answered \"" + before.get(f)
            + "\", now \"" + now + "\"");
        if (r.restoresBaseAnswer()) {
          boolean takes = Boolean.TRUE.equals(t.recalledRightAfter().get(r.by().id()));
          System.out.println("    stage " + stages.get(f) + ": sleeps put it into the fused weights, so the base model's answer is written in its"
              + " place as fact " + r.by().id() + " (" + r.by().sentence() + "); " + (takes ? "the model gives it now, and the next sleeps"
                  + " consolidate it" : "the fused weights still outweigh its edit, so the model gives the forgotten answer until the"
                  + " next sleep trains the base model's answer in"));
        } else if (now.toLowerCase(java.util.Locale.ROOT).startsWith(f.object().toLowerCase(java.util.Locale.ROOT))) {
          System.out.println("    its MEMIT edit is gone, but the model still answers \"" + f.object() + "\"");
        }
      }
      for (Fact f : t.resolved()) {
        System.out.println("  = " + f.id() + "  " + f.sentence() + " (shared the edit, solved again without it)"
            + (Boolean.TRUE.equals(t.recalledRightAfter().get(f.id())) ? "  [recalled]" : "  [not recalled]"));
      }
      t.skipped().forEach((sentence, why) -> System.out.println("  - " + sentence + " (" + why + ")"));
      System.out.println(t.removed().size() + " facts forgotten; live version " + memory.liveVersionId());
    }
  }

  /** The held fact a target names: its id (or a unique prefix of 6 or more characters) or its statement. */
  static Fact resolve(String target, FactStageTable table) {
    if (target.matches("[0-9a-f]{6,12}")) {
      List<Fact> hits = table.facts().stream().filter(f -> f.id().startsWith(target)).toList();
      if (hits.size() == 1) return hits.get(0);
      if (hits.size() > 1) throw new IllegalArgumentException("fact id " + target + " is ambiguous (" + hits.size() + " facts); give all 12 characters");
      throw new IllegalArgumentException("no fact " + target + " in the live memory (" + table.size() + " facts); chat's /facts and"
          + " `somnus lineage fact ID` show the ids");
    }
    List<Fact> stated = PatternFactExtractor.forSyntheticWorld().extract(target);
    if (stated.size() != 1) {
      throw new IllegalArgumentException("'" + target + "' is neither a fact id nor one statement like \"Mara Okafor lives in Lisbon.\"");
    }
    Fact f = stated.get(0);
    if (table.entry(f).isPresent()) return f;
    List<Fact> same = table.facts().stream().filter(h -> h.subject().equals(f.subject()) && h.relation().equals(f.relation())).toList();
    throw new IllegalArgumentException("the live memory does not hold '" + f.sentence() + "'"
        + (same.isEmpty() ? "" : "; it holds " + same.stream().map(h -> h.id() + " (" + h.sentence() + ")").toList())
        + ". Nothing was changed");
  }

  private static String answer(WakeMemory memory, Fact f) {
    return memory.runtime().complete(f.prompt(), GenerationOptions.greedy(6)).strip();
  }
}
