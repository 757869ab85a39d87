package io.somnus.cli;

import io.somnus.infra.DevStackInfo;
import io.somnus.infra.EmbeddedStack;
import io.somnus.infra.SleepRecovery;
import io.somnus.infra.SomnusConfig;
import io.somnus.workflows.MemoryLifecycleWorkflow;
import io.somnus.workflows.SleepPolicy;
import java.util.Optional;
import io.somnus.workflows.LifecycleSettings;
import io.somnus.workflows.SleepWorkflows;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "dev", description = "The embedded dev stack.", subcommands = DevCommand.Up.class)
final class DevCommand {
  @ParentCommand SomnusCli root;

  @Command(name = "up", description = {
      "Start Temporal's in-memory service on localhost gRPC, the embedded S3 server, local tracking and an",
      "in-process worker; runs until Ctrl-C. Other somnus commands find it through <data-dir>/dev-stack.json.",
      "Workflow histories live in memory and are lost when it stops; artifacts and tracking are files and stay."})
  static final class Up implements Runnable {
    @ParentCommand DevCommand dev;

    @Option(names = "--temporal-port", description = "Temporal port on 127.0.0.1 (default: config, 7233; 0 = any free).")
    Integer temporalPort;

    @Option(names = "--s3-port", description = "Embedded S3 port on 127.0.0.1 (default: config, 0 = any free).")
    Integer s3Port;

    @Option(names = "--no-worker", description = "Start the services only; run `somnus worker` elsewhere.")
    boolean noWorker;

    @Option(names = "--base", paramLabel = "DIR", description = {
        "Hugging Face checkpoint imported as the first live version when the registry has none",
        "(default for model somnus-tiny: the built-in model, built on first use)."})
    Path base;

    @Option(names = "--no-lifecycle", description = "Do not start the memory-lifecycle entity (sleeps only by hand).")
    boolean noLifecycle;

    @Override
    public void run() {
      SomnusConfig c = dev.root.config();
      if (temporalPort != null) c = c.withTemporal(new SomnusConfig.Temporal(c.temporal().target(), c.temporal().namespace(), temporalPort));
      if (s3Port != null) {
        SomnusConfig.S3 s = c.s3();
        c = c.withS3(new SomnusConfig.S3(s.endpoint(), s.accessKey(), s.secretKey(), s.bucket(), s3Port));
      }
      EmbeddedStack stack = EmbeddedStack.start(c, noWorker ? null : ModelSteps.factory());
      String live;
      Optional<String> resumed;
      try {
        String existing = stack.services().registry().aliases().live();
        if (existing != null && base != null) {
          System.out.println("note: model " + c.modelId() + " already has a live version (" + existing + "); --base " + base
              + " is only imported into an empty registry, so it is not used");
        }
        live = Wake.ensureBase(stack.services(), base);
        if (!noLifecycle) {
          MemoryLifecycleWorkflow.State initial = MemoryLifecycleWorkflow.State.initial(c.modelId(),
              LifecycleSettings.defaults(c.gpuWorkers()).withSleepPolicy(SleepPolicy.defaults().withTimeouts(c.steps().timeouts())),
              Wake.factsNotYetSlept(stack.services()), live);
          SleepWorkflows.ensureLifecycle(stack.services().workflowClient(), initial);
        }
        resumed = SleepRecovery.resumeUnfinished(stack.services());
      } catch (RuntimeException e) {
        stack.close();
        throw e;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.out.println("stopping the dev stack ...");
        stack.close();
        stopped.countDown();
      }, "somnus-dev-stop"));
      DevStackInfo info = stack.info();
      System.out.println("Somnus dev stack is up (Ctrl-C to stop)");
      System.out.println("  model      " + c.modelId() + ", live version " + live);
      System.out.println("  lifecycle  " + (noLifecycle ? "not started" : "entity " + SleepWorkflows.lifecycleId(c.modelId())
          + " (sleeps when pressure crosses the threshold)"));
      System.out.println("  temporal   " + info.temporalTarget() + "  namespace " + info.namespace());
      System.out.println("  s3         " + info.s3Endpoint() + "  bucket " + info.bucket() + "  (files under " + c.s3Dir() + ")");
      System.out.println("  tracking   " + (c.tracking().local() ? "local files under " + info.trackingDir() : c.tracking().mlflowUri()));
      System.out.println("  worker     " + (stack.hasWorker() ? "in-process, task queue cpu" + (c.gpuWorkers() ? " (heavy steps on gpu)" : " (all steps)") : "none"));
      System.out.println("  coordinates for other commands: " + DevStackInfo.file(c.dataDir()));
      resumed.ifPresent(run -> System.out.println("  resumed    sleep " + run + ", cut off when the stack last stopped"
          + " (its finished steps are read back, not redone; follow it with `somnus sleep --wait`)"));
      System.out.flush();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
