package io.somnus.infra;

import io.somnus.store.FactLedger;
import io.somnus.store.Lineage;
import io.somnus.store.LocalTracking;
import io.somnus.store.MlflowTracking;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ObjectStore;
import io.somnus.store.S3ObjectStore;
import io.somnus.store.Tracking;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Connections to Temporal, the artifact store and tracking for one process, opened on first use
 * (a {@code somnus status} never needs S3, a {@code somnus lineage} never needs Temporal) and
 * closed together.
 */
public final class SomnusServices implements AutoCloseable {
  /** How long a first connection to Temporal may take before the command gives up with a clear error. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final SomnusConfig config;
  private final ServiceEndpoints endpoints;
  private final Duration connectTimeout;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;
  private ObjectStore store;
  private Tracking tracking;

  public SomnusServices(SomnusConfig config, ServiceEndpoints endpoints) {
    this(config, endpoints, CONNECT_TIMEOUT);
  }

  SomnusServices(SomnusConfig config, ServiceEndpoints endpoints, Duration connectTimeout) {
    this.config = config;
    this.endpoints = endpoints;
    this.connectTimeout = connectTimeout;
  }

  /** Resolves {@code config} (embedded services from the running dev stack) and returns unopened connections. */
  public static SomnusServices connect(SomnusConfig config) {
    return new SomnusServices(config, ServiceEndpoints.resolve(config));
  }

  public SomnusConfig config() {
    return config;
  }

  public ServiceEndpoints endpoints() {
    return endpoints;
  }

  /** Temporal client in the configured namespace; fails fast when the frontend is unreachable. */
  public synchronized WorkflowClient workflowClient() {
    if (client == null) {
      // One health check may take the whole connect timeout: a dev stack busy training answers slowly, not never.
      WorkflowServiceStubsOptions options = WorkflowServiceStubsOptions.newBuilder().setTarget(endpoints.temporalTarget())
          .setHealthCheckAttemptTimeout(connectTimeout).build();
      try {
        stubs = WorkflowServiceStubs.newConnectedServiceStubs(options, connectTimeout);
      } catch (RuntimeException e) {
        throw new ServiceUnavailableException("Temporal at " + endpoints.temporalTarget() + " is unreachable ("
            + e.getMessage() + "); nothing was started. Is the dev stack (`somnus dev up`) or the cluster running?", e);
      }
      opened.add(stubs::shutdown);
      client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(endpoints.namespace()).build());
    }
    return client;
  }

  public synchronized ObjectStore objectStore() {
    if (store == null) store = open("S3 at " + endpoints.s3().endpoint(), () -> S3ObjectStore.open(endpoints.s3()));
    return store;
  }

  public ModelRegistry registry() {
    return new ModelRegistry(objectStore());
  }

  public FactLedger ledger() {
    return new FactLedger(objectStore());
  }

  /** MLflow when a URI is configured, local JSON files otherwise. */
  public synchronized Tracking tracking() {
    if (tracking == null) {
      tracking = endpoints.mlflowUri() != null
          ? open("MLflow at " + endpoints.mlflowUri(), () -> new MlflowTracking(endpoints.mlflowUri().toString()))
          : open("local tracking", () -> new LocalTracking(endpoints.localTrackingDir()));
    }
    return tracking;
  }

  /** Tracking experiment of this model's runs. */
  public String experiment() {
    return experimentOf(config.modelId());
  }

  public static String experimentOf(String modelId) {
    return "somnus-" + modelId;
  }

  public Lineage lineage() {
    return new Lineage(registry(), ledger(), tracking(), experiment());
  }

  private <T extends AutoCloseable> T open(String what, Supplier<T> opener) {
    T t;
    try {
      t = opener.get();
    } catch (RuntimeException e) {
      throw new ServiceUnavailableException("cannot open " + what + ": " + e.getMessage(), e);
    }
    opened.add(t);
    return t;
  }

  @Override
  public synchronized void close() {
    RuntimeException first = null;
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        if (first == null) first = new IllegalStateException("closing a service connection failed: " + e.getMessage(), e);
      }
    }
    opened.clear();
    if (first != null) throw first;
  }
}
