package io.somnus.store;

import java.time.Instant;
import java.util.Map;

/**
 * A run as read back from tracking.
 *
 * @param latestMetrics last logged value of each metric (full series: {@link Tracking#metricHistory})
 * @param endTime null while running
 */
public record TrackedRun(String runId, String experiment, String runName, RunStatus status, Instant startTime,
    Instant endTime, Map<String, String> params, Map<String, String> tags, Map<String, Double> latestMetrics) {

  /** Artifact links logged with {@link Tracking#logArtifactLink}, by name. */
  public Map<String, String> artifactLinks() {
    Map<String, String> out = new java.util.TreeMap<>();
    tags.forEach((k, v) -> {
      if (k.startsWith(Tracking.ARTIFACT_TAG_PREFIX)) out.put(k.substring(Tracking.ARTIFACT_TAG_PREFIX.length()), v);
    });
    return out;
  }
}
