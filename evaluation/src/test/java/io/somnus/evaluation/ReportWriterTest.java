package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
  @TempDir Path tmp;

  @Test
  void reportListsSectionsInSuiteOrderWithPlotsLinkedThroughTheRunFolder() throws Exception {
    Path results = tmp.resolve("evaluation").resolve("results");
    RunContext ctx = new RunContext(Profile.QUICK, results, new PrintStream(new ByteArrayOutputStream()));
    Charts.line(ctx.file("bench-growth.png"), "t", "x", "y",
        List.of(new Charts.Line("a", new double[] {1, 2}, new double[] {0.5, 0.7}, new double[] {0.1, 0.1})), false);
    // Saved out of order: the report must still follow EvaluationMain.ORDER.
    ctx.save(new ExperimentResult("bench", "Benchmarks", "how", "| a |\n|---|\n| 1 |", "ref", List.of("bench-growth.png"),
        Map.of("x", 1), 3));
    ctx.save(new ExperimentResult("wake-capacity", "Wake capacity threshold", "how", "**FAILED**: boom", "", List.of(),
        Map.of(), 1));
    Path report = ReportWriter.write(ReportWriter.latestRun(results), tmp.resolve("evaluation").resolve("REPORT.md"));
    String md = Files.readString(report);
    assertTrue(md.indexOf("## Wake capacity threshold") < md.indexOf("## Benchmarks"));
    String runName = ctx.dir().getFileName().toString();
    assertTrue(md.contains("](results/" + runName + "/bench-growth.png)"), md);
    assertTrue(md.contains("| [Wake capacity threshold](#wake-capacity-threshold) | failed |"), md);
    assertTrue(md.contains("| [Benchmarks](#benchmarks) | ok |"), md);
    assertTrue(Files.readString(ctx.file("report.md")).contains("](bench-growth.png)"));
    byte[] png = Files.readAllBytes(ctx.file("bench-growth.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    assertEquals(1, RunContext.JSON.readTree(ctx.file("bench.json").toFile()).get("result").get("data").get("x").asInt());
  }

  @Test
  void theHeaderNamesTheWeightsARunMeasuredWhenItsResultsRecordThem() throws Exception {
    String doc = "{\"profile\":\"standard\",\"model\":\"somnus-tiny\",\"seeds\":[1],%s\"result\":{\"name\":\"drift\","
        + "\"title\":\"Drift\",\"method\":\"m\",\"body\":\"b\",\"comparison\":\"\",\"plots\":[],\"seconds\":1}}";
    String named = ReportWriter.render(tmp, List.of(RunContext.JSON.readTree(String.format(doc, "\"weights\":\"0123456789ab\","))), "");
    assertTrue(named.contains("on model **somnus-tiny** (weights sha256 `0123456789ab`), seeds"), named);
    String older = ReportWriter.render(tmp, List.of(RunContext.JSON.readTree(String.format(doc, ""))), "");
    assertTrue(older.contains("on model **somnus-tiny**, seeds"), older);
  }

  @Test
  void addingToARunOfAnotherProfileIsRefused() {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunContext ctx = new RunContext(Profile.QUICK, tmp.resolve("results"), quiet);
    ctx.save(new ExperimentResult("drift", "Drift", "how", "body", "", List.of(), Map.of(), 1));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new RunContext(Profile.STANDARD, quiet, ctx.dir()));
    assertTrue(e.getMessage().contains("holds a quick run, not standard"), e.getMessage());
    assertEquals(ctx.dir(), new RunContext(Profile.QUICK, quiet, ctx.dir()).dir());
  }

  @Test
  void noRunIsAClearError() throws Exception {
    Files.createDirectories(tmp.resolve("empty"));
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> ReportWriter.latestRun(tmp.resolve("empty")));
    assertTrue(e.getMessage().contains("run an experiment first"));
  }

  @Test
  void aBaselineRunsSleepFiguresStandBesideThisRunsAndTheBaselineIsLeftAsItWas() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunContext before = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("1-before"));
    RunContext after = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("2-after"));
    before.save(lifetime(List.of(wave(1, "PROMOTED", 0.8, 120), wave(1, "PROMOTED", 1.0, 100)), 50));
    after.save(lifetime(List.of(wave(1, "promoted", 1.0, 300), wave(1, "kept-live", 0.4, 500)), 90));
    String beforeReport = Files.exists(before.file("report.md")) ? Files.readString(before.file("report.md")) : null;

    String md = Files.readString(ReportWriter.write(after.dir(), tmp.resolve("REPORT.md"), before.dir()));
    assertTrue(md.contains("Baseline `1-before`"), md);
    assertTrue(md.contains("| 1 | 0.90 → 0.70 |"), md);
    assertTrue(md.contains("| 2/2 → 1/2 | 110 → 400 |"), md);
    assertTrue(md.contains("| lifetime | 50 | 90 |"), md);
    assertTrue(md.indexOf("## Before and after") < md.indexOf("## Lifetime"), "after the index, before the sections");
    assertEquals(beforeReport, Files.exists(before.file("report.md")) ? Files.readString(before.file("report.md")) : null);
    assertTrue(!Files.readString(ReportWriter.write(after.dir(), tmp.resolve("REPORT.md"))).contains("Before and after"));
  }

  @Test
  void aFigureTheBaselineRunDidNotRecordStandsAsADash() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    RunContext before = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("1-older"));
    RunContext after = new RunContext(Profile.QUICK, quiet, tmp.resolve("results").resolve("2-now"));
    Map<String, Object> older = new HashMap<>(wave(1, "ROLLED_BACK", 0.5, 100));
    older.remove("known"); // runs before the known-fact probe did not record it
    before.save(lifetime(List.of(older), 50));
    after.save(lifetime(List.of(wave(1, "kept-live", 0.0, 200)), 90));

    String md = Files.readString(ReportWriter.write(after.dir(), tmp.resolve("REPORT.md"), before.dir()));
    assertTrue(md.contains("| 1 | 0.50 → 0.00 | 1.00 → 1.00 | 0.50 → 0.00 | 0.50 → 0.00 | – → 0.90 | 0/1 → 0/1 |"), md);
  }

  private static ExperimentResult lifetime(List<Map<String, Object>> points, double seconds) {
    return new ExperimentResult("lifetime", "Lifetime", "how", "body", "", List.of(), Map.of("points", points), seconds);
  }

  private static Map<String, Object> wave(int wave, String status, double chat, int steps) {
    return Map.of("wave", wave, "chatAll", chat, "rawAll", 1.0, "chatOldest", chat, "chatNewest", chat, "known", 0.9,
        "status", status, "trainingSteps", steps, "sleepSeconds", 10.0);
  }
}
