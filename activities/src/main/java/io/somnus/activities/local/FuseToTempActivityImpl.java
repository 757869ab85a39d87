package io.somnus.activities.local;

import io.somnus.activities.BadStepInputException;
import io.somnus.activities.FuseToTempActivity;
import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.SafeTensors;
import io.somnus.engine.sleep.Fuse;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.sleep.TrainedAdapters;
import io.somnus.store.ModelVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Step 6: merges the adapters into a copy of the version's fused weights and registers the candidate; live is untouched. */
final class FuseToTempActivityImpl implements FuseToTempActivity {
  private final StepServices steps;

  FuseToTempActivityImpl(StepServices steps) {
    this.steps = steps;
  }

  @Override
  public Result fuseToTemp(Input in) {
    return steps.journal.once(in.runId(), StepServices.attemptStep("fuse-to-temp", in.attempt()), Result.class, () -> {
      if (!steps.store().exists(in.adapterKey())) throw new BadStepInputException("adapter " + in.adapterKey() + " is not in the store");
      ModelVersion parentVersion = steps.version(in.versionId());
      MemoryState state = steps.states.state(parentVersion);
      Checkpoint.Contents parent = Checkpoint.load(state.fusedCheckpoint());
      Path scratch = null;
      try {
        scratch = Files.createTempDirectory(state.fusedCheckpoint().getParent(), "fuse-" + in.runId() + "-");
        Path adapterFile = scratch.resolve("adapter.safetensors");
        steps.store().get(in.adapterKey(), adapterFile);
        Map<String, HostTensor> factors = new LinkedHashMap<>();
        float scale;
        try (SafeTensors st = SafeTensors.open(adapterFile)) {
          for (String n : st.names()) factors.put(n, st.read(n));
          scale = Float.parseFloat(st.metadata().getOrDefault(TrainLoraActivityImpl.ADAPTER_SCALE, "1"));
        }
        Heartbeat.beat("merging");
        Map<String, HostTensor> fused;
        try (TrainedAdapters adapters = TrainedAdapters.fromHost(factors, scale, steps.settings.device())) {
          fused = Fuse.merge(parent.tensors(), adapters);
        }
        Path candidateDir = scratch.resolve("candidate");
        Fuse.saveCandidate(candidateDir, parent.config(), fused, state.fusedCheckpoint());
        List<String> lora = new ArrayList<>(parentVersion.loraHistory());
        lora.add(in.adapterKey());
        return new Result(steps.states.derive(parentVersion, candidateDir, lora, state.edits(), state.stages(), in.runId(), Map.of()));
      } catch (IOException e) {
        throw new UncheckedIOException("fuse-to-temp failed on local disk", e);
      } finally {
        deleteQuietly(scratch);
      }
    });
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // scratch space: a leftover folder is harmless
    }
  }
}
