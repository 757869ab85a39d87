package io.somnus.cli;

import io.somnus.cli.web.LineageApi;
import io.somnus.cli.web.WebServer;
import io.somnus.infra.SomnusServices;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "ui", description = {
    "The lineage page in the browser: model versions as a graph, each fact's stage and scale over runs, runs with",
    "their outcomes, reasons, metrics and workflow histories, the diff of two versions, and rollback (confirmed; a",
    "recorded run, as `somnus rollback`). Loads no model. `serve` carries the same page under /ui/."})
final class UiCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to listen on (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--allow-rollback", description = {"Allow rollback from the lineage page when listening beyond this machine",
      "(on 127.0.0.1/localhost it always is). Put the server behind your own authentication first."})
  boolean allowRollback;

  @Option(names = "--port", defaultValue = "8081", description = "Port (default ${DEFAULT-VALUE}; 0 = any free port).")
  int port;

  /** Rollback from the page through the CLI's own path, if allowed: on a loopback listener, or when asked for. */
  static LineageApi.Rollbacks rollbacks(SomnusServices services, String host, boolean allowRollback) {
    boolean loopback = host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
    return loopback || allowRollback ? (target, reason) -> RollbackCommand.start(services, target, reason) : null;
  }

  @Override
  public void run() {
    SomnusServices services = SomnusServices.connect(root.config());
    WebServer server;
    try {
      services.registry().aliases(); // reach the store now: fail before listening if it is not there
      server = WebServer.start(host, port, new LineageApi(services, UiCommand.rollbacks(services, host, allowRollback)));
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      services.close();
      stopped.countDown();
    }, "somnus-ui-stop"));
    System.out.println("lineage page of " + root.config().modelId() + " on http://" + host + ":" + server.port() + "/ui/");
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
