package io.somnus.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.model.Runtimes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Engine speed on this machine, optionally beside the same network in plain PyTorch: forward,
 * prefill, per-token decode and a gradient step (forward + backward over all weights) at each thread
 * count, the median with its spread over repetitions after a warm-up, on three clocks: wall, the CPU
 * time of the computing thread, and the CPU time of the whole process. Each implementation runs in a
 * process of its own on the same checkpoint (random weights, written once and cached), which also
 * gives each one's load time and peak resident memory. A command, never a timed unit test.
 *
 * <p>Options: {@code --shapes tiny,layer1b,llama1b} ({@link BenchShape#ALL}), {@code --threads 1,2},
 * {@code --reps 5}, {@code --metrics forward,prefill,decode,step}, {@code --device cpu|gpu},
 * {@code --pytorch} (with {@code --python PATH}, a Python that has torch), {@code --json FILE} (every result
 * and ratio as JSON lines), {@code --cache DIR} (the checkpoints; default {@code $SOMNUS_HOME/bench}).
 */
public final class EngineBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCRIPT = "plain_pytorch_llama.py";
  private static final String[] METRICS = {"forward", "prefill", "decode", "step"};

  private EngineBenchmark() {}

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    Args a = Args.parse(args);
    List<BenchShape> shapes = BenchShape.named(a.get("shapes", "tiny,layer1b"));
    Path cache = Path.of(a.get("cache", Runtimes.somnusHome().resolve("bench").toString()));
    boolean pytorch = a.values().containsKey("pytorch");
    String python = a.get("python", "python3");
    Path json = a.values().containsKey("json") ? Path.of(a.get("json")) : null;
    List<String> common = new ArrayList<>(List.of("--threads", a.get("threads", "1,2"), "--reps", Integer.toString(a.reps()),
        "--metrics", a.get("metrics", String.join(",", METRICS))));
    if (a.values().containsKey("device")) common.addAll(List.of("--device", a.device().isGpu() ? "gpu" : "cpu"));
    Path script = pytorch ? extractScript(python) : null;
    if (json != null) Files.deleteIfExists(json);
    System.out.printf("engine benchmark on %s (%d cores visible), %s reps after a warm-up%n", cpuModel(),
        Runtime.getRuntime().availableProcessors(), a.reps());
    for (BenchShape shape : shapes) {
      Path checkpoint = BenchCheckpoint.ensure(shape, cache);
      List<String> args1 = new ArrayList<>(List.of("--checkpoint", checkpoint.toString(), "--shape", shape.name()));
      args1.addAll(common);
      List<JsonNode> engine = run(javaCommand(args1), json);
      List<JsonNode> torch = List.of();
      if (pytorch) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--batch", Integer.toString(shape.batch()),
            "--prompt", Integer.toString(shape.prompt()), "--decode", Integer.toString(shape.decode())));
        cmd.addAll(args1);
        torch = run(cmd, json);
      }
      BenchReport report = new BenchReport(shape, engine, torch);
      report.print(System.out);
      if (json != null) append(json, report.ratios());
    }
  }

  /** This JVM's java, flags and class path, running {@link EngineTimings}. */
  private static List<String> javaCommand(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!flag.startsWith("-agentlib") && !flag.startsWith("-javaagent")) cmd.add(flag);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EngineTimings.class.getName()));
    cmd.addAll(args);
    return cmd;
  }

  /** Runs a measuring process; its JSON lines are the results (and go to {@code json}), anything else passes to stderr. */
  private static List<JsonNode> run(List<String> command, Path json) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<JsonNode> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (!line.startsWith("{")) {
          System.err.println(line);
          continue;
        }
        out.add(JSON.readTree(line));
        if (json != null) Files.writeString(json, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    }
    int code = p.waitFor();
    if (code != 0) {
      int cp = command.indexOf("-cp");
      List<String> shown = new ArrayList<>(command);
      if (cp >= 0 && cp + 1 < shown.size()) shown.set(cp + 1, "<this JVM's class path>");
      throw new IllegalStateException("benchmark process failed (exit " + code + "): " + String.join(" ", shown));
    }
    return out;
  }

  private static void append(Path json, List<ObjectNode> lines) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (ObjectNode n : lines) sb.append(n).append('\n');
    Files.writeString(json, sb, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Copies the plain-PyTorch script out of the jar, after checking that {@code python} can import torch. */
  private static Path extractScript(String python) throws IOException, InterruptedException {
    Process check = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
    String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (check.waitFor() != 0) {
      throw new IllegalStateException("--pytorch needs a Python with torch, and '" + python + "' has none (" + said + "). On Debian: "
          + "apt-get install python3-torch libopenblas0-openmp, then --python /usr/bin/python3");
    }
    Path script = Files.createTempFile("somnus-bench-", ".py");
    script.toFile().deleteOnExit();
    try (InputStream in = EngineBenchmark.class.getResourceAsStream(SCRIPT)) {
      if (in == null) throw new IllegalStateException(SCRIPT + " is missing from the engine jar");
      Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return script;
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("this CPU");
    } catch (IOException | UncheckedIOException e) {
      return System.getProperty("os.arch");
    }
  }
}
