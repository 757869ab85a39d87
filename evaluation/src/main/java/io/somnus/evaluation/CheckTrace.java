package io.somnus.evaluation;

import io.somnus.activities.local.TrainingChecks;
import io.somnus.engine.sleep.LoraTrainer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * The recall checks of every sleep's training, as the product's training step journaled them, one line per missed
 * check, appended to a text file of the run folder ({@code --trace-checks}): which answers a sleep has not learned yet,
 * which it made the model forget, and what the model said instead. It is what a sleep that learns nothing leaves to
 * explain itself; summary figures cannot say whether a lost answer names another fact's object or garbles the subject.
 */
final class CheckTrace implements AutoCloseable {
  private final PrintWriter out;
  private final String run;

  /** @param run what the lines are about, e.g. "n=N seed S" */
  CheckTrace(Path file, String run) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      this.out = new PrintWriter(w);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the check trace " + file, e);
    }
    this.run = run;
  }

  /** Every training attempt of {@code sleep} (e.g. "sleep 2"), in order. */
  void write(String sleep, List<TrainingChecks> attempts) {
    for (int a = 0; a < attempts.size(); a++) {
      for (LoraTrainer.RecallCheck c : attempts.get(a).checks()) check(sleep, a + 1, c);
      int step = attempts.get(a).keptStep();
      out.printf(Locale.ROOT, "%s %s attempt %d: training returns the adapters of step %d%s%n", run, sleep, a + 1, step,
          step == 0 ? " (untrained: they change nothing)" : "");
    }
    out.flush();
  }

  private void check(String sleep, int attempt, LoraTrainer.RecallCheck c) {
    out.printf(Locale.ROOT, "%s %s attempt %d step %d: %d of %d missed, %d lost, %d recovered%n", run, sleep,
        attempt, c.step(), c.misses().size(), c.checks(), c.lost(), c.recovered());
    for (LoraTrainer.Miss m : c.misses()) {
      out.printf(Locale.ROOT, "  %-6s check %3d %-24s state %d: \"%s\"%n", m.lost() ? "lost" : "missed", m.index(),
          m.key(), m.state(), m.answer().replace("\n", "\\n"));
    }
  }

  @Override
  public void close() {
    out.close();
  }
}
