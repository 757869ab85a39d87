package io.somnus.cli;

import io.somnus.workflows.SleepProgress;
import io.somnus.workflows.SleepResult;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowStub;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Follows a running sleep: polls its {@code progress} query into a progress bar (steps done of
 * steps planned, current phase and detail) until the workflow result arrives.
 */
final class SleepWatch {
  private final WorkflowStub stub;
  private final PrintStream out;
  private final Duration poll;

  SleepWatch(WorkflowStub stub, PrintStream out, Duration poll) {
    this.stub = stub;
    this.out = out;
    this.poll = poll;
  }

  /** Blocks until the sleep ends; returns its result or throws {@link CliException} with the failure. */
  SleepResult await() {
    CompletableFuture<SleepResult> result = stub.getResultAsync(SleepResult.class);
    try (ProgressBar bar = new ProgressBarBuilder()
        .setTaskName("sleep")
        .setInitialMax(1)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out))
        .setUpdateIntervalMillis(250)
        .continuousUpdate()
        .build()) {
      while (true) {
        show(bar);
        try {
          return result.get(poll.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillRunning) {
          // poll again
        } finally {
          if (result.isDone()) show(bar);
        }
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof WorkflowException wf) {
        throw new CliException("the sleep failed: " + rootMessage(wf) + " (live model unchanged unless the report says it was promoted)");
      }
      throw new CliException("lost track of the sleep: " + rootMessage(cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("stopped watching; the sleep goes on (see `somnus status`)");
    }
  }

  private void show(ProgressBar bar) {
    SleepProgress p;
    try {
      p = stub.query("progress", SleepProgress.class);
    } catch (RuntimeException notAnswerable) {
      return; // no worker has picked the workflow up yet, or a transient error: keep the last state
    }
    bar.maxHint(Math.max(1, p.totalSteps()));
    bar.stepTo(p.finished() ? p.totalSteps() : p.completed().size());
    bar.setExtraMessage(p.detail().isBlank() ? p.phase() : p.phase() + ": " + p.detail());
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
