package io.somnus.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@link Tracking} in plain JSON files, for running without an MLflow server; the CLI reads them
 * back directly. Layout under the root folder:
 *
 * <pre>
 * runs/&lt;runId&gt;/run.json                 experiment, name, status, times, params, tags
 * runs/&lt;runId&gt;/metrics/&lt;seq&gt;.json      one file per logMetrics batch
 * models/&lt;name&gt;/model.json              registered model: description, tags, aliases, next version number
 * models/&lt;name&gt;/&lt;version&gt;.json         model versions
 * </pre>
 *
 * Every file is written to a temp file and renamed into place, so a crash never leaves a torn
 * record. A run is written by one process at a time (its workflow's worker); readers may be many.
 * A registered model may be written by several processes (a teach and a sleep's promote), so its
 * changes hold an OS file lock on {@code models/<name>/.lock}.
 */
public final class LocalTracking implements Tracking {
  private record RunFile(String runId, String experiment, String runName, RunStatus status, Instant startTime,
      Instant endTime, Map<String, String> params, Map<String, String> tags) {}

  private record ModelFile(String name, String description, Map<String, String> tags, Map<String, String> aliases,
      long nextVersion) {
    ModelFile {
      tags = tags == null ? new TreeMap<>() : new TreeMap<>(tags);
      aliases = aliases == null ? new TreeMap<>() : new TreeMap<>(aliases);
    }
  }

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
  public synchronized String startRun(String experiment, String runName, Map<String, String> tags, Instant startTime) {
    if (experiment == null || experiment.isBlank()) throw new IllegalArgumentException("experiment name is empty");
    tags.keySet().forEach(k -> Tracking.checkKey("tag", k));
    String runId = UUID.randomUUID().toString().replace("-", "");
    Map<String, String> t = new TreeMap<>(tags);
    if (runName != null) t.put("mlflow.runName", runName); // as MLflow does, so both read back the same tags
    write(runFile(runId), new RunFile(runId, experiment, runName, RunStatus.RUNNING, startTime == null ? clock.instant() : startTime,
        null, new TreeMap<>(), t));
    return runId;
  }

  @Override
  public synchronized void logParams(String runId, Map<String, String> params) {
    RunFile r = read(runId);
    Map<String, String> fresh = Tracking.newParams(runId, r.params(), params);
    if (fresh.isEmpty()) return;
    Map<String, String> p = new TreeMap<>(r.params());
    p.putAll(fresh);
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
  public void setTag(String runId, String key, String value) {
    setTags(runId, Map.of(key, value));
  }

  @Override
  public synchronized void setTags(String runId, Map<String, String> tags) {
    tags.keySet().forEach(k -> Tracking.checkKey("tag", k));
    RunFile r = read(runId);
    Map<String, String> t = new TreeMap<>(r.tags());
    t.putAll(tags);
    write(runFile(runId), new RunFile(r.runId(), r.experiment(), r.runName(), r.status(), r.startTime(), r.endTime(), r.params(), t));
  }

  @Override
  public synchronized void endRun(String runId, RunStatus status, Instant endTime) {
    RunFile r = read(runId);
    write(runFile(runId), new RunFile(r.runId(), r.experiment(), r.runName(), status, r.startTime(),
        endTime == null ? clock.instant() : endTime, r.params(), r.tags()));
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
        if (MlflowFilter.matches(r.tags(), tagEquals)) out.add(getRun(r.runId()));
      }
    } catch (IOException e) {
      throw new TrackingException("cannot list runs under " + runs, e);
    }
    out.sort(Comparator.comparing(TrackedRun::startTime).reversed());
    return out;
  }

  /** Empty for a run that does not exist, as MLflow answers. */
  @Override
  public List<MetricPoint> metricHistory(String runId, String key) {
    if (!Files.exists(runFile(runId))) return List.of();
    return allMetrics(runId).stream().filter(m -> m.key().equals(key)).sorted(LocalTracking::compare).toList();
  }

  @Override
  public Optional<RegisteredModel> registeredModel(String name) {
    return readModel(name).map(m -> new RegisteredModel(m.name(), m.description(), m.tags(), m.aliases()));
  }

  @Override
  public void ensureRegisteredModel(String name, String description) {
    Tracking.checkKey("model name", name);
    locked(name, () -> {
      if (readModel(name).isEmpty()) writeModel(new ModelFile(name, description, Map.of(), Map.of(), 1));
      return null;
    });
  }

  @Override
  public void setRegisteredModelTag(String name, String key, String value) {
    Tracking.checkKey("tag", key);
    locked(name, () -> {
      ModelFile m = requireModel(name);
      m.tags().put(key, value);
      writeModel(m);
      return null;
    });
  }

  @Override
  public ModelRegistration registerModelVersion(String modelName, String source, String runId, Map<String, String> tags,
      String description) {
    Tracking.checkKey("model name", modelName);
    tags.keySet().forEach(k -> Tracking.checkKey("tag", k));
    return locked(modelName, () -> {
      ModelFile m = readModel(modelName).orElseGet(() -> new ModelFile(modelName, null, Map.of(), Map.of(), 1));
      long n = Math.max(m.nextVersion(), highestVersion(modelName) + 1);
      ModelRegistration reg = new ModelRegistration(modelName, Long.toString(n), source, runId, tags, description);
      write(modelDir(modelName).resolve(n + ".json"), reg);
      writeModel(new ModelFile(m.name(), m.description(), m.tags(), m.aliases(), n + 1));
      return reg;
    });
  }

  @Override
  public List<ModelRegistration> modelVersions(String modelName) {
    Path dir = modelDir(modelName);
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("\\d+\\.json"))
          .map(p -> readJson(p, new TypeReference<ModelRegistration>() {}))
          .sorted(Comparator.comparingLong(r -> Long.parseLong(r.version()))).toList();
    } catch (IOException e) {
      throw new TrackingException("cannot list " + dir, e);
    }
  }

  @Override
  public void deleteModelVersion(String modelName, String version) {
    locked(modelName, () -> {
      Path f = versionFile(modelName, version);
      if (!Files.exists(f)) throw new TrackingException("model " + modelName + " has no version " + version + " under " + root);
      try {
        Files.delete(f);
      } catch (IOException e) {
        throw new TrackingException("cannot delete " + f, e);
      }
      ModelFile m = requireModel(modelName);
      m.aliases().values().removeIf(version::equals);
      writeModel(m);
      return null;
    });
  }

  @Override
  public void setModelAlias(String modelName, String alias, String version) {
    Tracking.checkAlias(alias);
    locked(modelName, () -> {
      ModelFile m = requireModel(modelName);
      if (!Files.exists(versionFile(modelName, version))) {
        throw new TrackingException("model " + modelName + " has no version " + version + " for alias " + alias + " under " + root);
      }
      m.aliases().put(alias, version);
      writeModel(m);
      return null;
    });
  }

  @Override
  public void deleteModelAlias(String modelName, String alias) {
    Tracking.checkAlias(alias);
    locked(modelName, () -> {
      Optional<ModelFile> m = readModel(modelName);
      if (m.isPresent() && m.get().aliases().remove(alias) != null) writeModel(m.get());
      return null;
    });
  }

  @Override
  public void close() {}

  private static int compare(MetricPoint a, MetricPoint b) {
    int c = Long.compare(a.step(), b.step());
    return c != 0 ? c : Long.compare(a.timestampMillis(), b.timestampMillis());
  }

  /** Every point of a run, identical points once (as MLflow stores them). */
  private List<MetricPoint> allMetrics(String runId) {
    Path dir = runDir(runId).resolve("metrics");
    if (!Files.isDirectory(dir)) return List.of();
    LinkedHashSet<MetricPoint> out = new LinkedHashSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        out.addAll(readJson(f, new TypeReference<List<MetricPoint>>() {}));
      }
    } catch (IOException e) {
      throw new TrackingException("cannot list metrics of run " + runId, e);
    }
    return new ArrayList<>(out);
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

  private Path modelDir(String name) {
    Tracking.checkKey("model name", name);
    if (name.contains("/") || name.equals(".") || name.equals("..")) throw new IllegalArgumentException("model name '" + name + "' cannot be a folder name");
    return root.resolve("models").resolve(name);
  }

  private Path versionFile(String name, String version) {
    if (version == null || !version.matches("\\d+")) throw new IllegalArgumentException("invalid model version number: " + version);
    return modelDir(name).resolve(version + ".json");
  }

  private Optional<ModelFile> readModel(String name) {
    Path f = modelDir(name).resolve("model.json");
    if (Files.exists(f)) return Optional.of(readJson(f, new TypeReference<ModelFile>() {}));
    // models registered before model.json existed: their versions alone
    long highest = highestVersion(name);
    return highest > 0 ? Optional.of(new ModelFile(name, null, Map.of(), Map.of(), highest + 1)) : Optional.empty();
  }

  private ModelFile requireModel(String name) {
    return readModel(name).orElseThrow(() -> new TrackingException("no registered model " + name + " under " + root));
  }

  private void writeModel(ModelFile m) {
    write(modelDir(m.name()).resolve("model.json"), m);
  }

  private long highestVersion(String name) {
    return modelVersions(name).stream().mapToLong(r -> Long.parseLong(r.version())).max().orElse(0);
  }

  /** Runs {@code body} holding the registered model's file lock (other processes) and this instance's monitor (threads). */
  private synchronized <T> T locked(String name, Supplier<T> body) {
    Path dir = modelDir(name);
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        return body.get();
      }
    } catch (IOException e) {
      throw new TrackingException("cannot lock registered model " + name + " under " + root + ": " + e.getMessage(), e);
    }
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
