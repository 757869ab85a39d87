package io.somnus.cli;

import io.somnus.workflows.SleepProgress;
import io.somnus.workflows.SleepResult;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowStub;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
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
  /** How long the watch goes without an answer from the service before it checks whether the service is gone. */
  static final Duration LOST_AFTER = Duration.ofSeconds(20);
  private final Duration lostAfter;
  private long lastContact = System.nanoTime();
  /** Whether the sleep answered since the watch last said it was silent: say it once per silence. */
  private boolean answeredSinceHint = true;

  SleepWatch(WorkflowStub stub, PrintStream out, Duration poll) {
    this(stub, out, poll, LOST_AFTER);
  }

  SleepWatch(WorkflowStub stub, PrintStream out, Duration poll, Duration lostAfter) {
    this.stub = stub;
    this.out = out;
    this.poll = poll;
    this.lostAfter = lostAfter;
  }

  /** Blocks until the sleep ends; returns its result or throws {@link CliException} with the failure. */
  SleepResult await() {
    return System.console() != null ? awaitWithBar() : awaitWithLines();
  }

  /** On a terminal: one progress bar redrawn in place. */
  private SleepResult awaitWithBar() {
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
        query().ifPresent(p -> {
          bar.maxHint(Math.max(1, p.totalSteps()));
          bar.stepTo(p.finished() ? p.totalSteps() : p.completed().size());
          bar.setExtraMessage(describe(p));
        });
        if (poll(result)) return result.join();
      }
    } catch (CompletionException e) {
      throw failure(e.getCause());
    }
  }

  /** In a log or pipe: one line per step change, so the output stays readable. */
  private SleepResult awaitWithLines() {
    CompletableFuture<SleepResult> result = stub.getResultAsync(SleepResult.class);
    String last = null;
    try {
      while (true) {
        Optional<SleepProgress> p = query();
        if (p.isPresent()) {
          String line = String.format("sleep [%d/%d] %s", p.get().finished() ? p.get().totalSteps() : p.get().completed().size(),
              p.get().totalSteps(), describe(p.get()));
          if (!line.equals(last)) out.println(line);
          last = line;
        }
        if (poll(result)) return result.join();
      }
    } catch (CompletionException e) {
      throw failure(e.getCause());
    }
  }

  /** Waits one poll interval for the result; true once it is there. */
  private boolean poll(CompletableFuture<SleepResult> result) {
    try {
      result.get(poll.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException stillRunning) {
      return false;
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("stopped watching; the sleep goes on (see `somnus status`)");
    }
  }

  private static CliException failure(Throwable cause) {
    if (cause instanceof WorkflowException wf) {
      return new CliException("the sleep failed: " + rootMessage(wf) + " (live model unchanged unless the report says it was promoted)");
    }
    return new CliException("lost track of the sleep: " + rootMessage(cause));
  }

  private Optional<SleepProgress> query() {
    try {
      Optional<SleepProgress> p = Optional.of(within(lostAfter, () -> stub.query("progress", SleepProgress.class)));
      lastContact = System.nanoTime();
      answeredSinceHint = true;
      return p;
    } catch (RuntimeException notAnswerable) {
      // no worker has picked the workflow up yet, or a transient error: keep the last state, unless the service is gone
      if (System.nanoTime() - lastContact > lostAfter.toNanos()) checkServiceReachable();
      return Optional.empty();
    }
  }

  /**
   * The service answers (no worker needed to describe a workflow); a watch that cannot reach it says so and ends. One
   * that reaches it while the sleep itself does not answer says once that no worker is serving it, and goes on waiting.
   */
  private void checkServiceReachable() {
    try {
      within(lostAfter, stub::describe);
      lastContact = System.nanoTime();
      if (answeredSinceHint) {
        out.println("sleep: no worker has answered for " + lostAfter.toSeconds() + " s; the sleep waits for one (start it"
            + " with `somnus worker --task-queue cpu`, or run `somnus dev up` without --no-worker)");
        answeredSinceHint = false;
      }
    } catch (RuntimeException unreachable) {
      throw new CliException("lost contact with the Temporal service for " + lostAfter.toSeconds() + " s ("
          + rootMessage(unreachable) + "); is `somnus dev up` still running? A sleep it was running is started again"
          + " from its journal when the stack comes back: follow it then with `somnus sleep --wait`");
    }
  }

  /**
   * A call to the service that gives up after {@code limit}. Why: the client retries an unreachable service's calls
   * for a minute or more before it fails them, and a watch must not sit that long on a stack that is gone.
   */
  private static <T> T within(Duration limit, Supplier<T> call) {
    CompletableFuture<T> f = CompletableFuture.supplyAsync(call, CALLS);
    try {
      return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IllegalStateException("no answer within " + limit.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("stopped watching; the sleep goes on (see `somnus status`)");
    }
  }

  private static final java.util.concurrent.ExecutorService CALLS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sleep-watch-call");
    t.setDaemon(true);
    return t;
  });

  private static String describe(SleepProgress p) {
    return p.detail().isBlank() ? p.phase() : p.phase() + ": " + p.detail();
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
