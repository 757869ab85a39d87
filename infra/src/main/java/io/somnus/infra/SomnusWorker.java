package io.somnus.infra;

import io.somnus.activities.StepQueues;
import io.somnus.workflows.WorkerSetup;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Temporal worker process role: a CPU worker polls queue {@value StepQueues#CPU} for workflow tasks
 * and bookkeeping steps (and the heavy steps too when no GPU workers are deployed); a GPU worker
 * polls {@value StepQueues#GPU} for the heavy steps only.
 */
public final class SomnusWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SomnusWorker.class);

  private final WorkerFactory factory;
  private final String queue;

  private SomnusWorker(WorkerFactory factory, String queue) {
    this.factory = factory;
    this.queue = queue;
  }

  /**
   * Registers and starts polling.
   *
   * @param queue {@value StepQueues#CPU} or {@value StepQueues#GPU}
   */
  public static SomnusWorker start(SomnusServices services, String queue, StepsFactory steps) {
    String q = StepQueues.parse(queue);
    if (StepQueues.GPU.equals(q) && !services.config().gpuWorkers()) {
      log.warn("starting a GPU worker while gpuWorkers is false: sleeps started with this configuration schedule"
          + " heavy steps on queue '{}', so this worker will stay idle", StepQueues.CPU);
    }
    WorkerFactory factory = WorkerFactory.newInstance(services.workflowClient(),
        WorkerFactoryOptions.newBuilder().setWorkerInterceptors(new ModelThreadInterceptor()).build());
    try {
      WorkerOptions options = services.config().temporal().embedded() ? WorkerSetup.withoutStickyQueue() : WorkerOptions.getDefaultInstance();
      WorkerSetup.register(factory, q, steps.create(services), !services.config().gpuWorkers(), options);
      factory.start();
    } catch (RuntimeException e) {
      factory.shutdownNow();
      throw e;
    }
    log.info("worker polling task queue '{}' at {} (namespace {})", q, services.endpoints().temporalTarget(),
        services.endpoints().namespace());
    return new SomnusWorker(factory, q);
  }

  /**
   * Every activity runs with PyTorch's grad mode off on its executor thread (see {@link TorchThreads}); public for a
   * worker factory built elsewhere (Temporal's test environment) that hosts the product's steps.
   */
  public static final class ModelThreadInterceptor extends WorkerInterceptorBase {
    @Override
    public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
      return new ActivityInboundCallsInterceptorBase(next) {
        @Override
        public ActivityOutput execute(ActivityInput input) {
          TorchThreads.inferenceMode();
          return super.execute(input);
        }
      };
    }
  }

  public String queue() {
    return queue;
  }

  /** Blocks until the worker is shut down (by {@link #close()} from another thread or a shutdown hook). */
  public void awaitTermination() throws InterruptedException {
    while (!factory.isTerminated()) factory.awaitTermination(1, TimeUnit.HOURS);
  }

  /**
   * Stops polling and lets running activities finish for a few seconds, then interrupts them; an
   * interrupted activity is retried by Temporal on another worker once its heartbeat times out.
   */
  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(10, TimeUnit.SECONDS);
    if (!factory.isTerminated()) factory.shutdownNow();
  }
}
