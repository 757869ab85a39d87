package io.somnus.cli;

import io.somnus.cli.wake.WakeMemory;
import io.somnus.cli.web.LineageApi;
import io.somnus.cli.web.OpenAiApi;
import io.somnus.cli.web.WebServer;
import io.somnus.infra.SomnusServices;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "serve", description = {
    "The wake server: OpenAI-compatible /v1/chat/completions (streamed or not) and /v1/models on the live model,",
    "and the lineage page under /ui/ (as `somnus ui`). Facts stated in user messages are written into the weights",
    "before the answer; the response says which (its `somnus` object and the Somnus-Facts-Written header)."})
final class ServeCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--extractor", defaultValue = "PATTERN", description = "How facts are found: PATTERN (statement patterns, for small models) or MODEL (the model lists them as JSON). Default ${DEFAULT-VALUE}.")
  Wake.Extraction extractor;

  @Mixin RelationOptions relations;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to listen on (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--allow-rollback", description = {"Allow rollback from the lineage page when listening beyond this machine",
      "(on 127.0.0.1/localhost it always is). Put the server behind your own authentication first."})
  boolean allowRollback;

  @Option(names = "--port", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0 = any free port).")
  int port;

  @Option(names = "--no-ui", description = "Serve the OpenAI API only, without the lineage page (and its rollback).")
  boolean noUi;

  @Override
  public void run() {
    SomnusServices services = SomnusServices.connect(root.config());
    WakeMemory memory = Wake.memory(services);
    WebServer server;
    try {
      memory.liveVersionId(); // load now: fail before listening if there is no live model
      OpenAiApi openAi = new OpenAiApi(Wake.chat(services, memory, true, extractor, relations.classifier()));
      server = noUi ? WebServer.start(host, port, openAi)
          : WebServer.start(host, port, openAi, new LineageApi(services, UiCommand.rollbacks(services, host, allowRollback)));
    } catch (RuntimeException e) {
      memory.close();
      services.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      memory.close();
      services.close();
      stopped.countDown();
    }, "somnus-serve-stop"));
    System.out.println("serving " + root.config().modelId() + " on http://" + host + ":" + server.port() + "/v1/chat/completions");
    if (!noUi) System.out.println("lineage page on http://" + host + ":" + server.port() + "/ui/");
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
