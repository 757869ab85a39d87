package io.somnus.activities.local;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.activities.ValidateActivity;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.S3ObjectStore;
import io.somnus.store.VersionStates;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sleep's validate step on the test model: what it registers when its gate moves no fact. */
class ValidateStepTest {
  @TempDir Path dir;

  @Test
  void aGateThatMovesNoFactKeepsTheCandidateInsteadOfRegisteringATwin() {
    SomnusTiny.Variant variant = SomnusTiny.Variant.TEST;
    SyntheticWorld world = variant.world();
    Path base = SomnusTiny.ensure(variant);
    LocalStepSettings settings = LocalStepSettings.forWorld(world, Device.cpu());
    Fact unknown = world.heldOutFacts().get(3).fact();
    // An edit that writes nothing: the candidate cannot recall its fact at any scale, so the gate keeps it at stage 0.
    MemitEdit empty = new MemitEdit("edit-empty", List.of(unknown), List.of(new LayerDelta(
        "model.layers.1.mlp.down_proj.weight", 96, 256, 1, new float[96], new float[256])));

    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("validate"))) {
      ModelRegistry registry = new ModelRegistry(store);
      VersionStates states = new VersionStates(registry, new FactLedger(store), dir.resolve("work"));
      ModelVersion v0 = registry.create(NewVersion.base(base, "import-1"));
      String live = states.derive(v0, null, List.of(), List.of(empty), FactStageTable.of(List.of(empty)), "wake-1", Map.of());
      String candidate = states.derive(registry.version(live), null, List.of(), List.of(empty), FactStageTable.of(List.of(empty)),
          "sleep-1", Map.of());

      TestActivityEnvironment env = TestActivityEnvironment.newInstance();
      env.registerActivitiesImplementations(new ValidateActivityImpl(new StepServices(states, new StepJournal(store), settings)));
      ValidateActivity validate = env.newActivityStub(ValidateActivity.class, ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(10)).build());
      ValidateActivity.Result r = validate.validate(new ValidateActivity.Input("sleep-1", live, candidate, List.of(unknown.id()),
          ValidateActivity.Thresholds.defaults(), 1));
      env.close();

      assertEquals(0, r.advanced());
      assertEquals(candidate, r.gatedVersionId(), "nothing moved: the candidate is the version to promote");
      Set<String> contents = new HashSet<>();
      for (ModelVersion v : registry.versions()) {
        assertTrue(contents.add(v.createdByRun() + v.checkpoint() + v.loraHistory() + v.memitEdits()),
            "version " + v.id() + " twins another of run " + v.createdByRun());
      }
    }
  }
}
