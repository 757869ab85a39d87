package io.somnus.store;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Deletes content-addressed blobs that nothing refers to. Only blobs are ever candidates: version
 * manifests, the alias table, ledger indexes and other documents are never deleted.
 *
 * <p>A blob is referenced if its key appears anywhere in the text of any document in the store.
 * That is deliberately conservative: every component records the blobs it uses in a document
 * (manifests list checkpoint files, adapters and edits; ledger indexes name their Parquet
 * snapshot), so nothing reachable from a version, an alias or the lineage can be collected, and a
 * component added later is protected without telling the collector about it.
 *
 * <p>A blob uploaded by a run that has not written its manifest yet looks unreferenced; the
 * {@code minAge} grace period keeps such in-flight uploads safe. Use a period longer than the
 * longest sleep (the default is one day).
 */
public final class GarbageCollector {
  public static final Duration DEFAULT_MIN_AGE = Duration.ofDays(1);

  private final ObjectStore store;
  private final Clock clock;

  public GarbageCollector(ObjectStore store) {
    this(store, Clock.systemUTC());
  }

  public GarbageCollector(ObjectStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** What one collection found and did. */
  public record Report(int referenced, int unreferencedTooYoung, List<StoredObject> deleted, boolean dryRun) {
    public long bytesFreed() {
      return deleted.stream().mapToLong(StoredObject::size).sum();
    }
  }

  /**
   * @param minAge only blobs last written longer ago than this are deleted
   * @param dryRun report what would be deleted without deleting
   */
  public Report collect(Duration minAge, boolean dryRun) {
    Set<String> referenced = referencedKeys();
    Instant cutoff = clock.instant().minus(minAge);
    List<StoredObject> deleted = new ArrayList<>();
    int young = 0;
    int kept = 0;
    for (StoredObject blob : store.list(ContentKeys.PREFIX)) {
      if (referenced.contains(blob.key())) {
        kept++;
        continue;
      }
      if (blob.lastModified() == null || blob.lastModified().isAfter(cutoff)) {
        young++;
        continue;
      }
      if (!dryRun) store.delete(blob.key());
      deleted.add(blob);
    }
    return new Report(kept, young, List.copyOf(deleted), dryRun);
  }

  /** Every content key named by any document in the store. */
  Set<String> referencedKeys() {
    Set<String> keys = new HashSet<>();
    for (StoredObject o : store.list("")) {
      if (o.key().startsWith(ContentKeys.PREFIX)) continue;
      store.readDocument(o.key()).ifPresent(d -> {
        Matcher m = ContentKeys.KEY_PATTERN.matcher(new String(d.content(), StandardCharsets.UTF_8));
        while (m.find()) keys.add(m.group());
      });
    }
    return keys;
  }
}
