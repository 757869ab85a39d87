package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvaluationMainTest {
  @TempDir Path tmp;

  @Test
  void reportRegeneratesFromTheNamedRunsWithTheirOptions() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunContext before = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("1-before"));
    RunContext after = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("2-after"));
    for (RunContext c : List.of(before, after)) {
      c.save(new ExperimentResult("drift", "Drift", "how", "body", "", List.of(), Map.of(), 1));
    }
    Path report = tmp.resolve("REPORT.md");
    int code = new CommandLine(new EvaluationMain()).execute("report", "--run", after.dir().toString(), "--baseline",
        before.dir().toString(), "--report", report.toString());
    assertEquals(0, code);
    assertTrue(Files.readString(report).contains("Generated from run `2-after`"));
  }
}
