package io.somnus.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's own arithmetic and its Python side; the benchmark itself is a command, never run here. */
class BenchHarnessTest {
  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwoNotTheLarger() {
    assertEquals(2.5, Timing.median(new double[] {4, 1, 2, 3}));
    assertEquals(1.5, Timing.median(new double[] {2, 1}));
    assertEquals(2.0, Timing.median(new double[] {3, 1, 2}));
    assertEquals(1.0, Timing.spread(new double[] {1, 2, 3}), 1e-12);
  }

  @Test
  void bothImplementationsRunOnTheSameTokens() {
    long[][] t = BenchShape.tokens(2, 3, 4096);
    // (b·7919 + t·104729 + 13) mod vocab, the formula plain_pytorch_llama.py uses
    assertEquals(13, t[0][0]);
    assertEquals((7919 + 2 * 104729 + 13) % 4096, t[1][2]);
  }

  @Test
  void thePlainPyTorchScriptParses(@TempDir Path tmp) throws Exception {
    Path script = tmp.resolve("plain_pytorch_llama.py");
    try (InputStream in = EngineBenchmark.class.getResourceAsStream("plain_pytorch_llama.py")) {
      Files.copy(in, script);
    }
    Process probe;
    try {
      probe = new ProcessBuilder("python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())", script.toString())
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "no python3 on this machine to parse the script with");
      return;
    }
    String said = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, probe.waitFor(), said);
  }
}
