package io.somnus.cli;

import io.somnus.activities.StepQueues;
import io.somnus.infra.DevStackInfo;
import io.somnus.infra.ServiceEndpoints;
import io.somnus.infra.SomnusConfig;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.SomnusWorker;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "worker", description = {
    "Run a worker against the configured Temporal (or the dev stack) until stopped.",
    "Queue cpu: workflows and bookkeeping steps (plus model steps when gpuWorkers is false); queue gpu: model steps.",
    "On the dev stack it outlives a restart of `somnus dev up`: it waits for the new stack and joins it."})
final class WorkerCommand implements Runnable {
  /** How often a worker of the dev stack checks that the stack it joined is still the one running. */
  static final Duration STACK_CHECK = Duration.ofSeconds(2);

  @ParentCommand SomnusCli root;

  @Option(names = "--task-queue", required = true, description = "cpu or gpu")
  String queue;

  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  @Override
  public void run() {
    StepQueues.parse(queue); // a wrong name is an input error, before any connection is made
    SomnusConfig config = root.config();
    // On TERM: stop polling, let a running step finish briefly (SomnusWorker#close), then let the JVM exit.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown();
      try {
        closed.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "somnus-worker-stop"));
    try {
      if (config.usesDevStack()) followDevStack(config);
      else serve(SomnusServices.connect(config), () -> false);
    } finally {
      closed.countDown();
    }
  }

  /** Serves whichever dev stack runs on the data folder, joining the next one when it restarts. */
  private void followDevStack(SomnusConfig config) {
    boolean waitingSaid = false;
    while (stopped.getCount() > 0) {
      Optional<DevStackInfo> stack = DevStackInfo.read(config.dataDir());
      if (stack.isEmpty()) {
        if (!waitingSaid) System.out.println("no dev stack running under " + config.dataDir() + "; waiting for `somnus dev up`");
        waitingSaid = true;
        await(STACK_CHECK);
        continue;
      }
      DevStackInfo joined = stack.get();
      serve(new SomnusServices(config, ServiceEndpoints.resolve(config, joined)), () -> !sameStack(config, joined));
      if (stopped.getCount() > 0) {
        System.out.println("the dev stack (pid " + joined.pid() + ") stopped; waiting for the next one to join it");
        waitingSaid = true;
      }
    }
  }

  /** Runs a worker on {@code services} until the process is stopped or {@code gone} says the services went away. */
  private void serve(SomnusServices services, java.util.function.BooleanSupplier gone) {
    try (services; SomnusWorker worker = SomnusWorker.start(services, queue, ModelSteps.factory())) {
      System.out.println("worker polling task queue " + worker.queue() + " at " + services.endpoints().temporalTarget());
      while (stopped.getCount() > 0 && !gone.getAsBoolean()) await(STACK_CHECK);
    }
  }

  private static boolean sameStack(SomnusConfig config, DevStackInfo joined) {
    return DevStackInfo.read(config.dataDir())
        .filter(now -> now.pid() == joined.pid() && now.startedAt().equals(joined.startedAt()))
        .isPresent();
  }

  private void await(Duration d) {
    try {
      stopped.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped.countDown();
    }
  }
}
