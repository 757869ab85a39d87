package io.somnus.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * {@link Tracking} in plain JSON files, for running without an MLflow server; the CLI reads them
 * back directly. Layout under the root folder:
 *
 * <pre>
 * runs/&lt;runId&gt;/run.json                 experiment, name, status, times, params, tags
 * runs/&lt;runId&gt;/metrics/&lt;seq&gt;.json      one file per logMetrics batch
 * models/&lt;name&gt;/&lt;version&gt;.json         model registrations
 * </pre>
 *
 * Every file is written to a temp file and renamed into place, so a crash never leaves a torn
 * record. A run is written by one process at a time (its workflow's worker); readers may be many.
 */
public final class LocalTracking implements Tracking {
  private record RunFile(String runId, String experiment, String runName, RunStatus status, Instant startTime,
      Instant endTime, Map<String, String> params, Map<String, String> tags) {}

  private final Path root;
  private final Clock clock;

  public LocalTracking(Path root) {
    this(root, Clock.systemUTC());
  }

  public LocalTracking(Path root, Clock clock) {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
  }

  public Path root() {
    return root;
  }

  @Override
  public synchronized String startRun(String experiment, String runName, Map<String, String> tags) {
    if (experiment == null || experiment.isBlank()) throw new IllegalArgumentException("experiment name is empty");
    tags.keySet().forEach(k -> Tracking.checkKey("tag", k));
    String runId = UUID.randomUUID().toString().replace("-", "");
    write(runFile(runId), new RunFile(runId, experiment, runName, RunStatus.RUNNING, clock.instant(), null,
        new TreeMap<>(), new TreeMap<>(tags)));
    return runId;
  }

  @Override
  public synchronized void logParams(String runId, Map<String, String> params) {
    RunFile r = read(runId);
    Map<String, String> p = new TreeMap<>(r.params());
    params.forEach((k, value) -> {
      Tracking.checkKey("param", k);
      String v = Tracking.paramValue(value);
      String old = p.get(k);
      // MLflow refuses to change a logged parameter; keep the same rule so both backends agree.
      if (old != null && !old.equals(v)) throw new TrackingException("run " + runId + ": param " + k + " already logged as '" + old + "', cannot change to '" + v + "'");
      p.put(k, v);
    });
    write(runFile(runId), new RunFile(r.runId(), r.experiment(), r.runName(), r.status(), r.startTime(), r.endTime(), p, r.tags()));
  }

  @Override
  public synchronized void logMetrics(String runId, List<MetricPoint> metrics) {
    read(runId); // the run must exist
    if (metrics.isEmpty()) return;
    byte[] rnd = new byte[4];
    new java.security.SecureRandom().nextBytes(rnd);
    String name = String.format("%019d-%s.json", System.nanoTime() & Long.MAX_VALUE, HexFormat.of().formatHex(rnd));
    write(runDir(runId).resolve("metrics").resolve(name), List.copyOf(metrics));
  }

  @Override
  public synchronized void setTag(String runId, String key, String value) {
    Tracking.checkKey("tag", key);
    RunFile r = read(runId);
    Map<String, String> t = new TreeMap<>(r.tags());
    t.put(key, value);
    write(runFile(runId), new RunFile(r.runId(), r.experiment(), r.runName(), r.status(), r.startTime(), r.endTime(), r.params(), t));
  }

  @Override
  public synchronized void endRun(String runId, RunStatus status) {
    RunFile r = read(runId);
    write(runFile(runId), new RunFile(r.runId(), r.experiment(), r.runName(), status, r.startTime(), clock.instant(), r.params(), r.tags()));
  }

  @Override
  public TrackedRun getRun(String runId) {
    RunFile r = read(runId);
    Map<String, MetricPoint> latest = new TreeMap<>();
    for (MetricPoint m : allMetrics(runId)) {
      latest.merge(m.key(), m, (a, b) -> compare(b, a) >= 0 ? b : a);
    }
    Map<String, Double> values = new TreeMap<>();
    latest.forEach((k, m) -> values.put(k, m.value()));
    return new TrackedRun(r.runId(), r.experiment(), r.runName(), r.status(), r.startTime(), r.endTime(), r.params(), r.tags(), values);
  }

  @Override
  public List<TrackedRun> searchRuns(String experiment, Map<String, String> tagEquals) {
    Path runs = root.resolve("runs");
    if (!Files.isDirectory(runs)) return List.of();
    List<TrackedRun> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(runs)) {
      for (Path d : dirs.filter(p -> Files.exists(p.resolve("run.json"))).toList()) {
        RunFile r = read(d.getFileName().toString());
        if (!r.experiment().equals(experiment)) continue;
        if (tagEquals.entrySet().stream().allMatch(e -> e.getValue().equals(r.tags().get(e.getKey())))) out.add(getRun(r.runId()));
      }
    } catch (IOException e) {
      throw new TrackingException("cannot list runs under " + runs, e);
    }
    out.sort(Comparator.comparing(TrackedRun::startTime).reversed());
    return out;
  }

  @Override
  public List<MetricPoint> metricHistory(String runId, String key) {
    read(runId);
    return allMetrics(runId).stream().filter(m -> m.key().equals(key)).sorted(LocalTracking::compare).toList();
  }

  @Override
  public synchronized ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags) {
    Tracking.checkKey("model name", modelName);
    Path dir = root.resolve("models").resolve(modelName);
    int next = 1;
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        next = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+\\.json"))
            .mapToInt(n -> Integer.parseInt(n.substring(0, n.length() - 5))).max().orElse(0) + 1;
      } catch (IOException e) {
        throw new TrackingException("cannot list " + dir, e);
      }
    }
    ModelRegistration reg = new ModelRegistration(modelName, Integer.toString(next), source, runId);
    write(dir.resolve(next + ".json"), reg);
    return reg;
  }

  /** Registered versions of a model, oldest first. */
  public List<ModelRegistration> modelVersions(String modelName) {
    Path dir = root.resolve("models").resolve(modelName);
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("\\d+\\.json"))
          .map(p -> readJson(p, new TypeReference<ModelRegistration>() {}))
          .sorted(Comparator.comparingInt(r -> Integer.parseInt(r.version()))).toList();
    } catch (IOException e) {
      throw new TrackingException("cannot list " + dir, e);
    }
  }

  @Override
  public void close() {}

  private static int compare(MetricPoint a, MetricPoint b) {
    int c = Long.compare(a.step(), b.step());
    return c != 0 ? c : Long.compare(a.timestampMillis(), b.timestampMillis());
  }

  private List<MetricPoint> allMetrics(String runId) {
    Path dir = runDir(runId).resolve("metrics");
    if (!Files.isDirectory(dir)) return List.of();
    List<MetricPoint> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        out.addAll(readJson(f, new TypeReference<List<MetricPoint>>() {}));
      }
    } catch (IOException e) {
      throw new TrackingException("cannot list metrics of run " + runId, e);
    }
    return out;
  }

  private Path runDir(String runId) {
    if (runId == null || !runId.matches("[0-9a-f]{32}")) throw new IllegalArgumentException("invalid run id: " + runId);
    return root.resolve("runs").resolve(runId);
  }

  private Path runFile(String runId) {
    return runDir(runId).resolve("run.json");
  }

  private RunFile read(String runId) {
    Path f = runFile(runId);
    if (!Files.exists(f)) throw new TrackingException("no run " + runId + " under " + root);
    return readJson(f, new TypeReference<RunFile>() {});
  }

  private static <T> T readJson(Path f, TypeReference<T> type) {
    try {
      return Json.MAPPER.readValue(f.toFile(), type);
    } catch (IOException e) {
      throw new TrackingException("cannot read tracking record " + f + ": " + e.getMessage(), e);
    }
  }

  private static void write(Path file, Object value) {
    try {
      AtomicFiles.write(file, Json.write(value));
    } catch (UncheckedIOException e) {
      throw new TrackingException("cannot write tracking record " + file + ": " + e.getCause().getMessage(), e.getCause());
    }
  }
}
