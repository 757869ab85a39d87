package io.somnus.evaluation;

import io.somnus.engine.sleep.ValidationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The evaluation suite, one subcommand per experiment. Every experiment run writes into a new
 * folder {@code results/<timestamp>-<profile>/} and regenerates {@code REPORT.md} from it.
 *
 * <pre>
 *   EvaluationMain all --quick          # the whole suite, under 10 minutes on 2 cores
 *   EvaluationMain retrieval --standard # one experiment
 *   EvaluationMain report               # REPORT.md from the newest run
 * </pre>
 */
@Command(name = "somnus-evaluation", mixinStandardHelpOptions = true, version = "somnus-evaluation 0.1.0",
    description = "Somnus experiments: results as JSON, Markdown and PNG under evaluation/results/, report in evaluation/REPORT.md.")
public final class EvaluationMain implements Callable<Integer> {

  /** Suite order: also the order of sections in the report. */
  static final List<String> ORDER = List.of("wake-capacity", "sleep-convergence", "consolidation-sweep", "lifetime", "drift",
      "retrieval", "bench");

  static final Map<String, Supplier<Experiment>> EXPERIMENTS = new LinkedHashMap<>();

  static {
    EXPERIMENTS.put("wake-capacity", WakeCapacityExperiment::new);
    EXPERIMENTS.put("sleep-convergence", SleepConvergenceExperiment::new);
    EXPERIMENTS.put("consolidation-sweep", ConsolidationSweepExperiment::new);
    EXPERIMENTS.put("lifetime", LifetimeExperiment::new);
    EXPERIMENTS.put("drift", DriftExperiment::new);
    EXPERIMENTS.put("retrieval", RetrievalExperiment::new);
    EXPERIMENTS.put("bench", BenchExperiment::new);
  }

  /** Options every experiment subcommand takes. */
  static final class Common {
    static final class ProfileChoice {
      @Option(names = "--quick", description = "small model, few facts: under 10 minutes on 2 cores") boolean quick;
      @Option(names = "--standard", description = "somnus-tiny, full sizes: under 60 minutes on 2 cores") boolean standard;
    }

    @ArgGroup(exclusive = true) ProfileChoice profile;

    @Option(names = "--results", description = "results folder (default: evaluation/results, or results inside evaluation/)")
    Path results;

    @Option(names = "--report", description = "report file (default: REPORT.md next to the results folder)")
    Path report;

    @Option(names = "--into", description = "add to this existing run folder instead of starting a new one")
    Path into;

    @Option(names = "--seeds", split = ",", description = "seeds instead of the profile's (e.g. 1 for a tuning run)")
    List<Long> seeds;

    @Option(names = "--sizes", split = ",", description = "consolidation-sweep fact counts instead of the profile's (e.g. 20,40)")
    List<Integer> sizes;

    @Option(names = "--waves", description = "lifetime waves instead of the profile's") Integer waves;

    @Option(names = "--wave-size", description = "facts per lifetime wave instead of the profile's") Integer waveSize;

    @Option(names = "--trace-checks", description = "write every recall check of the sleeps' training (what was missed, "
        + "what was forgotten, the answer given) to checks-<experiment>.txt in the run folder") boolean traceChecks;

    @Option(names = "--recovered-per-loss", description = "validation: answers a candidate must give back for each recalled "
        + "one it loses (default: the product's, " + ValidationConfig.RECOVERED_PER_LOSS + "; 0: no recalled answer may be lost)")
    Integer recoveredPerLoss;

    Profile profile() {
      Profile p = (profile != null && profile.standard ? Profile.STANDARD : Profile.QUICK).with(seeds, sizes, waves, waveSize);
      return recoveredPerLoss == null ? p : p.with(p.validation().withRecoveredPerLoss(recoveredPerLoss));
    }

    Path resultsRoot() {
      if (results != null) return results;
      return Files.isDirectory(Path.of("evaluation")) && Files.isRegularFile(Path.of("evaluation", "pom.xml"))
          ? Path.of("evaluation", "results") : Path.of("results");
    }

    Path reportFile() {
      return report != null ? report : resultsRoot().toAbsolutePath().getParent().resolve("REPORT.md");
    }
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 2;
  }

  @Command(name = "wake-capacity", description = "Recall vs facts written one edit at a time, with and without constraints.")
  int wakeCapacity(@Mixin Common c) {
    return run(c, List.of("wake-capacity"));
  }

  @Command(name = "sleep-convergence", description = "Overloaded wake, then sleeps until recall is back.")
  int sleepConvergence(@Mixin Common c) {
    return run(c, List.of("sleep-convergence"));
  }

  @Command(name = "consolidation-sweep", description = "N facts × sleep cycles: chat/raw recall, stages, perplexity.")
  int consolidationSweep(@Mixin Common c) {
    return run(c, List.of("consolidation-sweep"));
  }

  @Command(name = "lifetime", description = "Waves of facts, each followed by a sleep: old and new recall.")
  int lifetime(@Mixin Common c) {
    return run(c, List.of("lifetime"));
  }

  @Command(name = "drift", description = "Perplexity and untouched-fact drift as facts are written.")
  int drift(@Mixin Common c) {
    return run(c, List.of("drift"));
  }

  @Command(name = "retrieval", description = "Weight memory vs BM25 retrieval, with generalisation probes.")
  int retrieval(@Mixin Common c) {
    return run(c, List.of("retrieval"));
  }

  @Command(name = "bench", description = "Forward, decode, edit and sleep latency (median/min/max); cost growth with facts.")
  int bench(@Mixin Common c) {
    return run(c, List.of("bench"));
  }

  @Command(name = "all", description = "Every experiment in suite order, then the report.")
  int all(@Mixin Common c) {
    return run(c, ORDER);
  }

  @Command(name = "report", description = "Regenerate REPORT.md from the newest run (or --run).")
  int report(@Option(names = "--run", description = "run folder") Path run,
      @Option(names = "--baseline", description = "an earlier run folder whose sleep figures go side by side with this run's")
      Path baseline, @Mixin Common c) {
    Path dir = run != null ? run : ReportWriter.latestRun(c.resultsRoot());
    System.out.println("report: " + ReportWriter.write(dir, c.reportFile(), baseline));
    return 0;
  }

  @Command(name = "live-recall", description = "Chat and raw recall, with the experiments' probes, of held-out facts on the live "
      + "version of a running Somnus, found through its data folder as every somnus command finds it.")
  int liveRecall(@Option(names = "--data-dir", required = true, description = "the running stack's data folder") Path dataDir,
      @Option(names = "--model", defaultValue = "somnus-tiny", description = "model id (default ${DEFAULT-VALUE})") String model,
      @CommandLine.Parameters(paramLabel = "FILE", description = "statements of held-out facts, one per line (a teach --file)") Path file) {
    Locale.setDefault(Locale.ROOT);
    return LiveRecall.run(dataDir, model, file, System.out);
  }

  /**
   * Runs the named experiments into one new run folder. A failing experiment is recorded as failed
   * in the report and the rest still run; the exit code is 1 if any failed.
   */
  static int run(Common c, List<String> names) {
    Locale.setDefault(Locale.ROOT);
    Profile profile = c.profile();
    RunContext ctx = c.into != null ? new RunContext(profile, System.err, c.into) : new RunContext(profile, c.resultsRoot(), System.err);
    ctx.traceChecks(c.traceChecks);
    ctx.log("profile %s (%s, seeds %s) → %s", profile.name(), profile.variant().name(), profile.seeds(), ctx.dir());
    List<String> failed = new ArrayList<>();
    for (String name : names) {
      Experiment e = EXPERIMENTS.get(name).get();
      long t0 = System.nanoTime();
      ctx.log("== %s ==", name);
      ExperimentResult r;
      try {
        r = e.run(ctx);
      } catch (Exception | LinkageError ex) {
        failed.add(name);
        ex.printStackTrace();
        r = new ExperimentResult(name, title(name), "", "**FAILED**: " + ex, "", List.of(), Map.of("error", String.valueOf(ex)),
            (System.nanoTime() - t0) / 1e9);
      }
      ctx.save(r);
      ctx.log("%s: %.0f s", name, r.seconds());
    }
    Sweeps.deleteTree(ctx.file("work"));
    Path report = ReportWriter.write(ctx.dir(), c.reportFile());
    ctx.log("report: %s (run %s)%s", report, ctx.dir(), failed.isEmpty() ? "" : "; failed: " + failed);
    return failed.isEmpty() ? 0 : 1;
  }

  private static String title(String name) {
    return Character.toUpperCase(name.charAt(0)) + name.substring(1).replace('-', ' ');
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new EvaluationMain()).execute(args));
  }
}
