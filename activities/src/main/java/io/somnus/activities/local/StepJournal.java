package io.somnus.activities.local;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import io.somnus.store.ObjectStore;
import io.somnus.store.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import io.somnus.store.PreconditionFailedException;
import io.somnus.store.WriteCondition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What each (run id, step) produced, as a write-once document {@code runs/<runId>/<step>.json} in the
 * store. A retried or replayed step finds its earlier result there and returns it instead of
 * redoing the work: this is what makes the steps idempotent across worker crashes.
 */
final class StepJournal {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The step every run ends with, whatever its outcome: a run without it did not finish. */
  static final String REPORT = "report";
  /** The request a sleep was started with. */
  static final String REQUEST = "request";

  private final ObjectStore store;

  StepJournal(ObjectStore store) {
    this.store = store;
  }

  static String name(String runId, String step) {
    if (runId == null || !runId.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new io.somnus.activities.BadStepInputException("run id must be 1-200 of letters, digits, . _ -; got '" + runId + "'");
    }
    return "runs/" + runId + "/" + step + ".json";
  }

  <T> Optional<T> find(String runId, String step, Class<T> type) {
    return store.readDocument(name(runId, step)).map(d -> read(d.content(), type));
  }

  /** The recorded result of this step of this run, computing and recording it the first time. */
  <T> T once(String runId, String step, Class<T> type, Supplier<T> compute) {
    Optional<T> done = find(runId, step, type);
    if (done.isPresent()) return done.get();
    T result = compute.get();
    record(runId, step, result);
    return result;
  }

  void record(String runId, String step, Object result) {
    try {
      store.writeDocument(name(runId, step), JSON.writeValueAsBytes(result), WriteCondition.absent());
    } catch (PreconditionFailedException raced) {
      // another attempt of the same step recorded first; its result is as good as ours
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Records the request a run was started with (once: a resumed run keeps its first). */
  void recordRequest(String runId, JsonNode request) {
    if (find(runId, REQUEST, JsonNode.class).isEmpty()) record(runId, REQUEST, request);
  }

  /** Runs that recorded their request and never reported, oldest first. */
  List<LocalSteps.UnfinishedRun> unfinishedRuns() {
    Map<String, Instant> started = new TreeMap<>();
    Set<String> reported = new HashSet<>();
    for (StoredObject o : store.list("runs/")) {
      String[] parts = o.key().split("/");
      if (parts.length != 3) continue;
      if (parts[2].equals(REQUEST + ".json")) started.put(parts[1], o.lastModified());
      if (parts[2].equals(REPORT + ".json")) reported.add(parts[1]);
    }
    List<LocalSteps.UnfinishedRun> out = new ArrayList<>();
    started.forEach((runId, at) -> {
      if (!reported.contains(runId)) out.add(new LocalSteps.UnfinishedRun(runId, find(runId, REQUEST, JsonNode.class).orElseThrow(), at));
    });
    out.sort(Comparator.comparing(LocalSteps.UnfinishedRun::started));
    return out;
  }

  private static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return JSON.readValue(bytes, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable step record of type " + type.getSimpleName(), e);
    }
  }
}
