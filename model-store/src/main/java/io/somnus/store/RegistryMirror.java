package io.somnus.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Mirrors Somnus's model registry into the tracking server's: every version that was ever live becomes a registered
 * model version (source = its manifest's S3 URI, tags {@value #VERSION_ID_TAG} and {@value Lineage#RUN_ID_TAG}, linked
 * to the tracking run that created it), and the registered model's aliases {@value #LIVE} and {@value #PREVIOUS}
 * follow Somnus's.
 *
 * <p>Somnus's registry ({@link ModelRegistry}, in S3) stays the source of truth; the mirror only ever copies from it.
 * {@link #sync} is idempotent and repairs whatever the mirror missed: the registered model's tag
 * {@value #GENERATION_TAG} says which alias generation it last mirrored, and the versions live since then are read
 * from the registry's move records. Call it after every alias move; when the tracking server was down, the next call
 * catches up. Over {@link LocalTracking} it keeps the same records in local files.
 *
 * <p>Two processes syncing at once may both register a version; the next sync keeps the lowest-numbered of such
 * duplicates and deletes the others.
 */
public final class RegistryMirror {
  public static final String LIVE = "live";
  public static final String PREVIOUS = "previous";
  /** Model version tag: the Somnus version id ({@code mv-…}). */
  public static final String VERSION_ID_TAG = "somnus.version_id";
  public static final String PARENT_TAG = "somnus.parent_version";
  /** Registered model tag: the alias generation the mirror last brought it to. */
  public static final String GENERATION_TAG = "somnus.generation";
  private static final int ROUNDS = 3;

  /**
   * What a sync did.
   *
   * @param generation the alias generation the mirror now reflects
   * @param registered model versions registered by this sync, oldest first
   * @param aliases the mirror's aliases after the sync: alias → MLflow version number
   * @param removedDuplicates MLflow versions deleted as duplicates of a Somnus version already mirrored
   */
  public record Result(long generation, List<ModelRegistration> registered, Map<String, String> aliases,
      List<String> removedDuplicates) {}

  private final ModelRegistry registry;
  private final Tracking tracking;
  private final String modelName;
  private final RunTracker runs;

  /**
   * @param modelName registered model name (e.g. the Somnus model id)
   * @param experiment the tracking experiment of this model's runs, to link each version to the run that created it
   */
  public RegistryMirror(ModelRegistry registry, Tracking tracking, String modelName, String experiment) {
    this.registry = Objects.requireNonNull(registry);
    this.tracking = Objects.requireNonNull(tracking);
    Tracking.checkKey("registered model name", modelName);
    this.modelName = modelName;
    this.runs = new RunTracker(tracking, experiment);
  }

  public String modelName() {
    return modelName;
  }

  /** Brings the mirror in line with the registry's current state; see the class comment. */
  public Result sync() {
    List<ModelRegistration> registered = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (int round = 1; ; round++) {
      Aliases a = registry.aliases();
      if (a.generation() == 0 || a.live() == null) return new Result(0, List.of(), Map.of(), List.of());
      tracking.ensureRegisteredModel(modelName, "Somnus model " + modelName + ", mirrored from its Somnus registry (the source of truth); "
          + "aliases live and previous follow it.");
      RegisteredModel model = tracking.registeredModel(modelName)
          .orElseThrow(() -> new TrackingException("registered model " + modelName + " vanished right after it was ensured"));
      long mirrored = generation(model.tags().get(GENERATION_TAG));
      if (mirrored > a.generation()) mirrored = 0; // a registry older than the mirror (restored, or another store): start over

      Map<String, ModelRegistration> byVersion = index(tracking.modelVersions(modelName), removed);
      List<String> lives = mirrored < a.generation() ? registry.livesSince(mirrored) : List.of();
      Set<String> wanted = new LinkedHashSet<>(); // in the order they went live, so MLflow's numbers follow it
      if (a.previous() != null && !lives.contains(a.previous())) wanted.add(a.previous());
      wanted.addAll(lives);
      wanted.add(a.live());
      for (String id : wanted) {
        if (byVersion.containsKey(id)) continue;
        ModelRegistration r = register(id);
        byVersion.put(id, r);
        registered.add(r);
      }

      Map<String, String> aliases = new TreeMap<>(model.aliases());
      moveAlias(aliases, LIVE, byVersion.get(a.live()).version());
      moveAlias(aliases, PREVIOUS, a.previous() == null ? null : byVersion.get(a.previous()).version());
      if (!a.equals(registry.aliases()) && round < ROUNDS) continue; // moved meanwhile: mirror the newer state
      if (mirrored != a.generation()) tracking.setRegisteredModelTag(modelName, GENERATION_TAG, Long.toString(a.generation()));
      return new Result(a.generation(), List.copyOf(registered), aliases, List.copyOf(removed));
    }
  }

  private void moveAlias(Map<String, String> aliases, String alias, String version) {
    if (Objects.equals(aliases.get(alias), version)) return;
    if (version == null) {
      tracking.deleteModelAlias(modelName, alias);
      aliases.remove(alias);
    } else {
      tracking.setModelAlias(modelName, alias, version);
      aliases.put(alias, version);
    }
  }

  /** Mirrored versions by Somnus version id; duplicates beyond the lowest-numbered are deleted. */
  private Map<String, ModelRegistration> index(List<ModelRegistration> versions, List<String> removed) {
    Map<String, ModelRegistration> out = new LinkedHashMap<>();
    for (ModelRegistration r : versions) { // oldest first
      String id = r.tags().get(VERSION_ID_TAG);
      if (id == null) continue; // registered by someone else: not ours to judge
      if (out.putIfAbsent(id, r) != null) {
        tracking.deleteModelVersion(modelName, r.version());
        removed.add(r.version());
      }
    }
    return out;
  }

  private ModelRegistration register(String versionId) {
    ModelVersion v = registry.version(versionId);
    Map<String, String> tags = new TreeMap<>();
    tags.put(VERSION_ID_TAG, v.id());
    tags.put(Lineage.RUN_ID_TAG, v.createdByRun());
    if (v.parentId() != null) tags.put(PARENT_TAG, v.parentId());
    String description = "Somnus version " + v.id() + (v.parentId() == null ? " (base import)" : " from " + v.parentId())
        + ", created by run " + v.createdByRun() + " at " + v.createdAt() + ". Checkpoint files: " + v.checkpoint().size()
        + ", LoRA adapters fused: " + v.loraHistory().size() + ", MEMIT edits: " + v.memitEdits().size() + ".";
    String run = runs.find(v.createdByRun()).orElse(null); // none for a base import or a run tracking missed
    return tracking.registerModelVersion(modelName, registry.manifestUri(v.id()), run, tags, description);
  }

  private static long generation(String tag) {
    if (tag == null) return 0;
    try {
      return Math.max(0, Long.parseLong(tag.strip()));
    } catch (NumberFormatException e) {
      return 0; // not ours, or damaged: a full sync is always safe
    }
  }
}
