package io.somnus.cli;

import io.somnus.engine.model.CheckpointException;
import io.somnus.infra.ConfigException;
import io.somnus.infra.ConfigLoader;
import io.somnus.infra.ServiceUnavailableException;
import io.somnus.infra.SomnusConfig;
import io.temporal.client.WorkflowException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code somnus}: the entry point of the launcher script, the container image and the deployments. */
@Command(name = "somnus", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "somnus 0.1.0",
    description = "Persistent in-weight memory for a local language model, with sleep as a durable pipeline.",
    subcommands = {DemoCommand.class, DevCommand.class, ChatCommand.class, TeachCommand.class, ServeCommand.class, UiCommand.class,
        WorkerCommand.class, SleepCommand.class, NapCommand.class, StatusCommand.class,
        RunsCommand.class, LineageCommand.class, RollbackCommand.class, ForgetCommand.class, HistoryCommand.class, ReplayCommand.class,
        BenchCommand.class, ModelCommand.class, CommandLine.HelpCommand.class})
public final class SomnusCli {
  /** Exit code of a command that was refused (e.g. a second sleep) rather than failed. */
  static final int EXIT_REFUSED = 3;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON config file (default: $SOMNUS_CONFIG, else none).")
  Path configFile;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Local data folder (default: $SOMNUS_DATA_DIR, else ~/.somnus/data).")
  Path dataDir;

  @Option(names = "--model", paramLabel = "ID", description = "Model id (default: $SOMNUS_MODEL_ID, else somnus-tiny).")
  String modelId;

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  private SomnusConfig config;

  /** Config file + environment, then the command-line overrides. */
  SomnusConfig config() {
    if (config == null) {
      SomnusConfig c = ConfigLoader.load(configFile);
      if (dataDir != null) c = c.withDataDir(dataDir);
      if (modelId != null) c = c.withModelId(modelId);
      config = c;
    }
    return config;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    Locale.setDefault(Locale.ROOT);
    SomnusCli root = new SomnusCli();
    CommandLine cl = new CommandLine(root);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // A mistyped option gets one line and where to look, not the whole usage text.
    cl.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("somnus: " + e.getMessage() + " (see `" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help`)");
      err.flush();
      return 2;
    });
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      err.println("somnus: " + describe(e));
      if (root.verbose) e.printStackTrace(err);
      err.flush();
      return e instanceof ConfigException || e instanceof IllegalArgumentException || e instanceof CheckpointException ? 2 : 1;
    });
    return cl;
  }

  /** Known failures print as one line; anything else keeps its type so it can be reported. */
  static String describe(Throwable e) {
    if (e instanceof ConfigException || e instanceof ServiceUnavailableException || e instanceof IllegalArgumentException
        || e instanceof IllegalStateException || e instanceof CliException || e instanceof CheckpointException) {
      return e.getMessage();
    }
    if (e instanceof WorkflowException wf) {
      return "workflow " + wf.getExecution().getWorkflowId() + " failed: " + SleepWatch.rootMessage(wf);
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
