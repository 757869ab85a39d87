package io.somnus.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Immutable model versions and the {@code live}/{@code previous} aliases, kept in an
 * {@link ObjectStore}.
 *
 * <p>Layout: checkpoint files, adapters and edits are content-addressed blobs; each version is a
 * write-once JSON manifest {@code registry/versions/<id>.json}; the aliases are one document
 * {@code registry/aliases.json}.
 *
 * <p>Crash safety comes from ordering: {@link #create} uploads every blob first and writes the
 * manifest last (the manifest is the commit point, so a version is either complete or invisible);
 * {@link #promote} checks the version is complete and then moves both aliases in one conditional
 * write (If-Match on the etag read), so a crash anywhere leaves the old live version in place and a
 * concurrent move is refused rather than lost.
 *
 * <p>Every alias move is also recorded, after it committed, as {@code registry/moves/<generation>.json} (the alias
 * document it wrote): the history of which versions were live, which the alias document alone forgets and
 * {@link RegistryMirror} needs to repair a mirror that missed several moves.
 */
public final class ModelRegistry {
  static final String VERSIONS = "registry/versions/";
  static final String ALIASES = "registry/aliases.json";
  /** The version manifest written into a materialised checkpoint folder. */
  static final String MANIFEST_FILE = "somnus-version.json";
  static final String MOVES = "registry/moves/";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelRegistry.class);

  private final ObjectStore store;
  private final Clock clock;

  public ModelRegistry(ObjectStore store) {
    this(store, Clock.systemUTC());
  }

  public ModelRegistry(ObjectStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  public ObjectStore store() {
    return store;
  }

  /**
   * Uploads the checkpoint folder and records a new version. Idempotent: the id is a hash of the
   * parent, files, adapters, edits and run id, so calling again with the same input returns the
   * version already stored.
   */
  public ModelVersion create(NewVersion draft) {
    if (draft.parentId() != null) version(draft.parentId()); // parent must exist
    for (String key : draft.loraHistory()) requireBlob(key, "LoRA adapter");
    for (EditRef e : draft.memitEdits()) requireBlob(e.key(), "MEMIT edit " + e.editId());
    List<CheckpointFile> files = uploadCheckpoint(draft.checkpointDir());
    String id = versionId(draft.parentId(), files, draft.loraHistory(), draft.memitEdits(), draft.runId());
    Optional<ModelVersion> existing = find(id);
    if (existing.isPresent()) return existing.get();
    ModelVersion v = new ModelVersion(id, draft.parentId(), files, draft.loraHistory(), draft.memitEdits(),
        draft.runId(), clock.instant(), draft.metrics());
    try {
      store.writeDocument(VERSIONS + id + ".json", Json.write(v), WriteCondition.absent());
      return v;
    } catch (PreconditionFailedException raced) {
      return version(id); // a retry of the same run got there first: same content by construction
    }
  }

  /** The version with this id. */
  public ModelVersion version(String id) {
    return find(id).orElseThrow(() -> new VersionNotFoundException("model version " + id + " does not exist in " + store.describe()));
  }

  public Optional<ModelVersion> find(String id) {
    if (id == null || !id.matches("mv-[0-9a-f]{16}")) throw new IllegalArgumentException("invalid model version id: " + id);
    return store.readDocument(VERSIONS + id + ".json").map(d -> Json.read(d.content(), ModelVersion.class, d.name()));
  }

  /** Every committed version, oldest first. */
  public List<ModelVersion> versions() {
    List<ModelVersion> out = new ArrayList<>();
    for (StoredObject o : store.list(VERSIONS)) {
      String name = o.key();
      if (!name.endsWith(".json")) continue;
      store.readDocument(name).ifPresent(d -> out.add(Json.read(d.content(), ModelVersion.class, name)));
    }
    out.sort(Comparator.comparing(ModelVersion::createdAt).thenComparing(ModelVersion::id));
    return out;
  }

  /** Current alias table (generation 0 and no live version before the first promote). */
  public Aliases aliases() {
    return store.readDocument(ALIASES).map(d -> Json.read(d.content(), Aliases.class, ALIASES)).orElse(Aliases.empty());
  }

  /** The version {@code live} points to. */
  public ModelVersion live() {
    Aliases a = aliases();
    if (a.live() == null) throw new VersionNotFoundException("no live model version yet in " + store.describe() + " (nothing promoted)");
    return find(a.live()).orElseThrow(() -> new VersionNotFoundException("alias 'live' (generation " + a.generation()
        + ") points to model version " + a.live() + ", which does not exist in " + store.describe()));
  }

  /** Where a version's manifest lives (e.g. {@code s3://somnus/registry/versions/mv-….json}): the version's location. */
  public String manifestUri(String versionId) {
    if (versionId == null || !versionId.matches("mv-[0-9a-f]{16}")) throw new IllegalArgumentException("invalid model version id: " + versionId);
    return store.uri(VERSIONS + versionId + ".json");
  }

  /** Recorded alias moves after generation {@code afterGeneration}, oldest first. */
  public List<Aliases> moves(long afterGeneration) {
    List<Aliases> out = new ArrayList<>();
    for (StoredObject o : store.list(MOVES)) {
      String name = o.key().substring(MOVES.length());
      if (!name.matches("\\d{12}\\.json") || Long.parseLong(name.substring(0, 12)) <= afterGeneration) continue;
      store.readDocument(o.key()).ifPresent(d -> out.add(Json.read(d.content(), Aliases.class, o.key())));
    }
    out.sort(Comparator.comparingLong(Aliases::generation));
    return out;
  }

  /**
   * The version live at each generation after {@code afterGeneration} up to the current one, oldest first; a version
   * live again after a rollback appears again. A generation whose move record is missing (a crash right after the
   * move) is read from the next generation's {@code previous}; it is left out only when that record is missing too.
   */
  public List<String> livesSince(long afterGeneration) {
    Aliases current = aliases();
    java.util.Map<Long, Aliases> byGeneration = new java.util.TreeMap<>();
    for (Aliases a : moves(afterGeneration)) byGeneration.put(a.generation(), a);
    byGeneration.put(current.generation(), current);
    List<String> out = new ArrayList<>();
    for (long g = Math.max(1, afterGeneration + 1); g <= current.generation(); g++) {
      Aliases at = byGeneration.get(g);
      Aliases next = byGeneration.get(g + 1);
      String live = at != null ? at.live() : next != null ? next.previous() : null; // each move makes the old live previous
      if (live != null) out.add(live);
    }
    return out;
  }

  /** Makes {@code versionId} live and the old live version previous, whatever the current generation. */
  public Aliases promote(String versionId, String runId) {
    return promote(versionId, runId, -1);
  }

  /**
   * Makes {@code versionId} live and the old live version previous, in one compare-and-set.
   *
   * @param expectedGeneration the generation the caller decided on (-1: accept any); a different
   *     current generation means someone else moved the aliases meanwhile
   * @throws AliasConflictException if the aliases moved since they were read
   */
  public Aliases promote(String versionId, String runId, long expectedGeneration) {
    ModelVersion v = version(versionId);
    for (String key : v.blobKeys()) requireBlob(key, "model version " + versionId);
    Optional<Document> current = store.readDocument(ALIASES);
    Aliases old = current.map(d -> Json.read(d.content(), Aliases.class, ALIASES)).orElse(Aliases.empty());
    checkGeneration(old, expectedGeneration);
    if (versionId.equals(old.live())) {
      recordMove(old); // a retried promote: already done, but its move record may be what failed
      return old;
    }
    Aliases next = new Aliases(old.generation() + 1, versionId, old.live(), clock.instant(), runId);
    return move(current, old, next);
  }

  /**
   * Deletes the manifest of a version that never went live (its blobs stay for garbage collection).
   *
   * @throws IllegalStateException if the version is live or previous, or is the parent of another version
   */
  public void discardUnpromoted(String versionId) {
    Aliases a = aliases();
    if (versionId.equals(a.live()) || versionId.equals(a.previous())) {
      throw new IllegalStateException("model version " + versionId + " is " + (versionId.equals(a.live()) ? "live" : "previous")
          + "; only a version that never served can be discarded");
    }
    for (ModelVersion child : versions()) {
      if (versionId.equals(child.parentId())) {
        throw new IllegalStateException("model version " + versionId + " is the parent of " + child.id() + "; it cannot be discarded");
      }
    }
    store.delete(VERSIONS + versionId + ".json");
  }

  /** Swaps live and previous: the version that was live before the last promote serves again. */
  public Aliases rollback(String runId, long expectedGeneration) {
    Optional<Document> current = store.readDocument(ALIASES);
    Aliases old = current.map(d -> Json.read(d.content(), Aliases.class, ALIASES)).orElse(Aliases.empty());
    checkGeneration(old, expectedGeneration);
    if (old.previous() == null) throw new IllegalStateException("no previous model version to roll back to (generation " + old.generation() + ")");
    ModelVersion target = version(old.previous());
    for (String key : target.blobKeys()) requireBlob(key, "model version " + target.id());
    Aliases next = new Aliases(old.generation() + 1, old.previous(), old.live(), clock.instant(), runId);
    return move(current, old, next);
  }

  /**
   * Downloads a version's checkpoint files into {@code dir} (which must not exist, be empty, or already hold this
   * version), verified, via a sibling temp folder renamed into place; writes the manifest beside them as
   * {@code somnus-version.json}. Processes materialising the same version at once all get the one folder. MEMIT edits
   * are not applied: load them with {@link EditArtifacts#read} and apply them with the engine.
   */
  public Path materialise(String versionId, Path dir) {
    ModelVersion v = version(versionId);
    Path target = dir.toAbsolutePath().normalize();
    try {
      if (holds(target, versionId)) return target;
      if (Files.exists(target)) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.findAny().isPresent()) {
            throw new IllegalArgumentException("cannot materialise " + versionId + " into " + target + ": the folder holds "
                + heldVersion(target).map(id -> "model version " + id).orElse("other files") + "; give an empty or new folder");
          }
        }
        Files.deleteIfExists(target);
      }
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".");
      try {
        for (CheckpointFile f : v.checkpoint()) store.get(f.key(), tmp.resolve(f.path()));
        Files.write(tmp.resolve(MANIFEST_FILE), Json.write(v));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException raced) { // rename onto a folder another process filled first: ENOTEMPTY
        if (!holds(target, versionId)) throw raced; // it won the rename with the same content
      } finally {
        deleteRecursively(tmp);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot materialise " + versionId + " into " + target + ": " + e, e);
    }
  }

  private static boolean holds(Path dir, String versionId) {
    return heldVersion(dir).filter(versionId::equals).isPresent();
  }

  /** The version a materialised folder holds (its manifest is written last, inside the folder renamed into place). */
  private static Optional<String> heldVersion(Path dir) {
    Path manifest = dir.resolve(MANIFEST_FILE);
    if (!Files.isRegularFile(manifest)) return Optional.empty();
    try {
      return Optional.ofNullable(Json.MAPPER.readTree(Files.readAllBytes(manifest)).path("id").asText(null));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private Aliases move(Optional<Document> current, Aliases old, Aliases next) {
    WriteCondition cond = current.map(d -> WriteCondition.matching(d.etag())).orElse(WriteCondition.absent());
    try {
      store.writeDocument(ALIASES, Json.write(next), cond);
    } catch (PreconditionFailedException e) {
      throw new AliasConflictException("aliases changed while moving live from " + old.live() + " to " + next.live()
          + " (read generation " + old.generation() + "); nothing was changed, re-read and retry");
    }
    recordMove(next);
    return next;
  }

  /** Writes the move record of a committed move; the move stands without it, so a failure is only logged. */
  private void recordMove(Aliases a) {
    if (a.generation() < 1) return;
    try {
      store.writeDocument(MOVES + String.format("%012d", a.generation()) + ".json", Json.write(a), WriteCondition.absent());
    } catch (PreconditionFailedException alreadyRecorded) {
      // a retried promote, or a concurrent reader repairing it: the same content
    } catch (RuntimeException e) {
      LOG.warn("alias move to generation {} (live {}) committed, but its move record could not be written: {}",
          a.generation(), a.live(), e.getMessage());
    }
  }

  private static void checkGeneration(Aliases old, long expectedGeneration) {
    if (expectedGeneration >= 0 && old.generation() != expectedGeneration) {
      throw new AliasConflictException("aliases are at generation " + old.generation() + ", caller expected "
          + expectedGeneration + " (live is " + old.live() + ")");
    }
  }

  private void requireBlob(String key, String owner) {
    if (!store.exists(key)) throw new ObjectNotFoundException(key + " (needed by " + owner + ")", store.describe());
  }

  private List<CheckpointFile> uploadCheckpoint(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("checkpoint folder " + dir + " does not exist");
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> !p.getFileName().toString().equals(MANIFEST_FILE))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoint folder " + dir, e);
    }
    if (files.isEmpty()) throw new IllegalArgumentException("checkpoint folder " + dir + " holds no files");
    List<CheckpointFile> out = new ArrayList<>();
    for (Path p : files) {
      String rel = dir.relativize(p).toString().replace('\\', '/');
      try {
        out.add(new CheckpointFile(rel, store.put(p), Files.size(p)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p, e);
      }
    }
    return out;
  }

  /** {@code mv-} + 16 hex of SHA-256 over the identity-defining content (not time, not metrics). */
  static String versionId(String parentId, List<CheckpointFile> files, List<String> lora, List<EditRef> edits, String runId) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("parent", parentId);
    ArrayNode fs = n.putArray("files");
    files.forEach(f -> fs.addObject().put("path", f.path()).put("key", f.key()));
    ArrayNode ls = n.putArray("lora");
    lora.forEach(ls::add);
    ArrayNode es = n.putArray("edits");
    edits.forEach(e -> es.addObject().put("id", e.editId()).put("key", e.key()).put("scale", e.scale()));
    n.put("run", runId);
    byte[] digest = ContentKeys.sha256().digest(n.toString().getBytes(StandardCharsets.UTF_8));
    return "mv-" + HexFormat.of().formatHex(digest, 0, 8);
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
    }
  }
}
