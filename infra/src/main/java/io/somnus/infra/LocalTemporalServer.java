package io.somnus.infra;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's in-memory service (from {@code temporal-test-server}) served over gRPC on the loopback
 * interface, so workers and clients in other processes connect with ordinary service stubs exactly as
 * they would to a Temporal cluster.
 *
 * <p>{@code TestServer.createPortBoundServer} binds every interface and does not tell which port it
 * got; this builds the same server (same services, same health checks) on 127.0.0.1 and reports the
 * port, so port 0 works. Time runs in real time (time skipping locked). All state is in memory: a
 * restart of this process loses every workflow history.
 */
public final class LocalTemporalServer implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;

  private LocalTemporalServer(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  /** @param port localhost port to listen on; 0 picks a free one */
  public static LocalTemporalServer start(int port) {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    ServerBuilder<?> builder = NettyServerBuilder.forAddress(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    try {
      return new LocalTemporalServer(services, builder.build().start());
    } catch (IOException e) {
      services.close();
      throw new IllegalStateException("cannot start the embedded Temporal service on 127.0.0.1:" + port
          + " (" + e.getMessage() + "); is another dev stack or Temporal server using that port? Set"
          + " temporal.devPort / SOMNUS_TEMPORAL_DEV_PORT to another port or 0", e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** {@code host:port} for {@code WorkflowServiceStubsOptions.setTarget}. */
  public String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      services.close();
    }
  }
}
