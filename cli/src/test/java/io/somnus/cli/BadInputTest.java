package io.somnus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input on the command line, in config files and against services that are not there: each gets one line that
 * says what was wrong and what to do, the exit code of its kind (2: the input, 1: the surroundings), no stack trace,
 * and nothing is started or written. The cases print as a table (the issue's list of messages).
 */
class BadInputTest {
  @TempDir Path dir;

  private record Case(String what, List<String> args, int exit, String message) {}

  private record Run(int exit, String out, String err) {}

  private Run somnus(List<String> args) {
    List<String> full = new ArrayList<>(List.of("--data-dir", dir.resolve("data").toString()));
    full.addAll(args);
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      var cl = SomnusCli.commandLine();
      cl.setErr(new PrintWriter(System.err, true));
      int exit = cl.execute(full.toArray(String[]::new));
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private Path file(String name, byte[] content) throws Exception {
    Path f = dir.resolve(name);
    Files.write(f, content);
    return f;
  }

  private Path config(String name, String yaml) throws Exception {
    return file(name, yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void everyKindOfBadInputGetsOneClearLineAndNothingStarts() throws Exception {
    Path latin1 = file("latin1.txt", "Zoë Brandt lives in Malmö.\n".getBytes(StandardCharsets.ISO_8859_1));
    Path comments = file("comments.txt", "# nothing but a comment\n\n".getBytes(StandardCharsets.UTF_8));
    int down = closedPort();
    Path temporalDown = config("temporal-down.yaml", "temporal: { target: 127.0.0.1:" + down + " }\n"
        + "s3: { endpoint: http://127.0.0.1:" + down + ", accessKey: a, secretKey: b }\n");
    Path s3Down = config("s3-down.yaml", "s3: { endpoint: http://127.0.0.1:" + down + ", accessKey: a, secretKey: b }\n"
        + "temporal: { target: 127.0.0.1:" + down + " }\n");
    List<Case> cases = List.of(
        new Case("teach with nothing to teach", List.of("teach"), 2, "nothing to teach: give statements or --file"),
        new Case("teach --file that does not exist", List.of("teach", "--file", dir.resolve("nope.txt").toString()), 2,
            "does not exist"),
        new Case("teach --file that is a folder", List.of("teach", "--file", dir.toString()), 2, "is a folder; give a text file"),
        new Case("teach --file that is not UTF-8", List.of("teach", "--file", latin1.toString()), 2,
            "is not UTF-8 text; save it as UTF-8"),
        new Case("teach --file with only comments", List.of("teach", "--file", comments.toString()), 2, "holds no statements"),
        new Case("teach --batch 0", List.of("teach", "--batch", "0", "Ada Lovelace lives in London."), 2, "--batch must be ≥ 1"),
        new Case("sleep --retries -1", List.of("sleep", "--retries", "-1"), 2, "retriesOnRefusal must be ≥ 0, got -1"),
        new Case("sleep --max-facts 0", List.of("sleep", "--max-facts", "0"), 2, "maxFacts must be ≥ 1, got 0"),
        new Case("sleep --retries lots", List.of("sleep", "--retries", "lots"), 2, "Invalid value for option '--retries'"),
        new Case("worker on an unknown queue", List.of("worker", "--task-queue", "tpu"), 2, "task queue must be 'cpu' or 'gpu'"),
        new Case("rollback to a malformed version", List.of("rollback", "--to", "yesterday"), 2, "--to must be a model version id"),
        new Case("runs --limit 0", List.of("runs", "--limit", "0"), 2, "--limit must be ≥ 1"),
        new Case("nap --recall-threshold 2", List.of("nap", "--recall-threshold", "2"), 2, "--recall-threshold must be in [0,1]"),
        new Case("chat --max-tokens 0", List.of("chat", "--max-tokens", "0"), 2, "--max-tokens ≥ 1"),
        new Case("an unknown command", List.of("dream"), 2, "Unmatched argument at index"),
        new Case("a model id with a space", List.of("--model", "my model", "status"), 2, "modelId must be letters, digits"),
        new Case("a config file that does not exist", List.of("--config", dir.resolve("nope.yaml").toString(), "status"), 2,
            "nope.yaml"),
        new Case("a config key misspelt", List.of("--config", config("typo.yaml", "temporal: { targt: x:1 }\n").toString(), "status"),
            2, "targt"),
        new Case("a config S3 endpoint without keys",
            List.of("--config", config("keys.yaml", "s3: { endpoint: http://minio:9000 }\n").toString(), "status"), 2,
            "is set but its keys are not"),
        new Case("a config heartbeat of 0 s",
            List.of("--config", config("beat.yaml", "steps: { heartbeatSeconds: 0 }\n").toString(), "status"), 2,
            "steps.heartbeatSeconds must be >= 1"),
        new Case("any command with no dev stack running", List.of("sleep"), 2, "start one with `somnus dev up`"),
        new Case("Temporal down (a configured target)", List.of("--config", temporalDown.toString(), "sleep"), 1,
            "Temporal at 127.0.0.1:" + down + " is unreachable"),
        new Case("S3 down (a configured endpoint)", List.of("--config", s3Down.toString(), "lineage", "version", "mv-0123456789abcdef"), 1,
            "cannot open S3 at http://127.0.0.1:" + down));
    System.out.println("| bad input | exit | message |");
    System.out.println("|---|---|---|");
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      Run r = somnus(c.args());
      // the last line is the verdict; lines before it may be the retries that led to it (logged as warnings)
      String[] lines = r.err().strip().split("\\R");
      String message = lines[lines.length - 1];
      System.out.println("| " + c.what() + " | " + r.exit() + " | `" + message.replace("\n", " ").replace("|", "\\|") + "` |");
      if (r.exit() != c.exit() || !message.contains(c.message()) || r.err().contains("\tat ")) {
        failures.add(c.what() + ": exit " + r.exit() + ", " + message);
      }
    }
    assertEquals(List.of(), failures, "each bad input gets its exit code and one clear line");
    assertFalse(Files.exists(dir.resolve("data").resolve("dev-stack.json")), "nothing was started");
  }
}
