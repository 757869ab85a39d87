package io.somnus.cli;

import io.somnus.activities.StepQueues;
import io.somnus.infra.SomnusServices;
import io.somnus.infra.SomnusWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "worker", description = {
    "Run a worker against the configured Temporal (or the dev stack) until stopped.",
    "Queue cpu: workflows and bookkeeping steps (plus model steps when gpuWorkers is false); queue gpu: model steps."})
final class WorkerCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--task-queue", required = true, description = "cpu or gpu")
  String queue;

  @Override
  public void run() {
    StepQueues.parse(queue); // a wrong name is an input error, before any connection is made
    SomnusServices services = SomnusServices.connect(root.config());
    SomnusWorker worker = SomnusWorker.start(services, queue, ModelSteps.factory());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.close();
      services.close();
    }, "somnus-worker-stop"));
    System.out.println("worker polling task queue " + worker.queue() + " at " + services.endpoints().temporalTarget());
    try {
      worker.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
