package io.somnus.cli;

import io.somnus.cli.wake.ChatBackend;
import io.somnus.cli.wake.WakeChat;
import io.somnus.cli.wake.WakeMemory;
import io.somnus.engine.model.ChatMessage;
import io.somnus.engine.runtime.GenerationOptions;
import io.somnus.infra.SomnusServices;
import io.somnus.workflows.NapWorkflow;
import io.somnus.workflows.RunIds;
import io.somnus.workflows.SleepPolicy;
import io.somnus.workflows.SleepRequest;
import io.somnus.workflows.SleepWorkflows;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "chat", description = {
    "Talk to the remembering model. Facts you state are written into its weights at once; the context is",
    "emptied after every turn (--context keeps a few), so what it recalls comes from its weights.",
    "In the conversation: /sleep (consolidate now, with progress), /nap, /status, /facts, /quit."})
final class ChatCommand implements Runnable {
  @ParentCommand SomnusCli root;

  @Option(names = "--extractor", defaultValue = "PATTERN", description = "How facts are found: PATTERN (statement patterns, for small models) or MODEL (the model lists them as JSON). Default ${DEFAULT-VALUE}.")
  Wake.Extraction extractor;

  @Mixin RelationOptions relations;

  @Option(names = "--context", defaultValue = "0", description = "Earlier turns kept in the prompt (default ${DEFAULT-VALUE}).")
  int context;

  @Option(names = "--max-tokens", defaultValue = "64", description = "Answer length limit (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Override
  public void run() {
    if (context < 0 || maxTokens < 1) throw new IllegalArgumentException("--context must be ≥ 0 and --max-tokens ≥ 1");
    var config = root.config();
    try (SomnusServices services = SomnusServices.connect(config); WakeMemory memory = Wake.memory(services)) {
      WakeChat chat = Wake.chat(services, memory, true, extractor, relations.classifier());
      System.out.println("chatting with " + config.modelId() + " (live " + memory.liveVersionId() + "); /quit to leave");
      List<ChatMessage> history = new ArrayList<>();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (true) {
        System.out.print("you> ");
        System.out.flush();
        String line = in.readLine();
        if (line == null || line.strip().equals("/quit")) break;
        line = line.strip();
        if (line.isEmpty()) continue;
        if (line.startsWith("/")) {
          command(line, services, memory);
          continue;
        }
        List<ChatMessage> messages = new ArrayList<>(history.subList(Math.max(0, history.size() - 2 * context), history.size()));
        messages.add(ChatMessage.user(line));
        ChatBackend.Reply reply = chat.chat(messages, GenerationOptions.greedy(maxTokens));
        for (ChatBackend.FactChange c : reply.changes()) {
          System.out.println("  (" + c.change() + ": " + c.sentence() + (c.note() == null ? "" : ", " + c.note()) + ")");
        }
        for (String f : reply.factsRejected()) {
          // a duplicate was shown above with its class
          if (reply.changes().stream().noneMatch(c -> c.change().equals("DUPLICATE") && f.startsWith(c.sentence()))) {
            System.out.println("  (not remembered: " + f + ")");
          }
        }
        System.out.println(config.modelId() + "> " + reply.content());
        history.add(ChatMessage.user(line));
        history.add(ChatMessage.assistant(reply.content()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the conversation from standard input", e);
    }
  }

  private static void command(String line, SomnusServices services, WakeMemory memory) {
    String model = services.config().modelId();
    switch (line) {
      case "/sleep" -> {
        try {
          var stub = SleepWorkflows.startSleep(services.workflowClient(), new SleepRequest(model,
              RunIds.fresh("sleep", model, System.currentTimeMillis()), services.config().gpuWorkers(),
              SleepPolicy.defaults().withTimeouts(services.config().steps().timeouts())));
          SleepCommand.print(new SleepWatch(stub, System.out, Duration.ofMillis(500)).await());
        } catch (WorkflowExecutionAlreadyStarted e) {
          System.out.println("already asleep; see /status");
        }
      }
      case "/nap" -> {
        NapWorkflow.Result r = SleepWorkflows.nap(services.workflowClient(), new NapWorkflow.Request(model,
            RunIds.fresh("nap", model, System.currentTimeMillis()), services.config().gpuWorkers(), 0.5, null));
        System.out.printf("%d facts audited, %d healthy, mean raw recall %.2f%n", r.audited(), r.healthy(), r.meanRawRecall());
      }
      case "/status" -> {
        System.out.println("live " + memory.liveVersionId());
        System.out.println("sleep " + StatusCommand.sleep(services.workflowClient(), model));
      }
      case "/facts" -> memory.facts().entries().forEach(e ->
          System.out.println("  " + e.fact().id() + "  stage " + e.stage().level() + "  " + e.fact().sentence()));
      default -> System.out.println("commands: /sleep /nap /status /facts /quit");
    }
  }
}
