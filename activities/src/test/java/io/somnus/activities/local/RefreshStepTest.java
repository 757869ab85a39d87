package io.somnus.activities.local;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.Device;
import io.somnus.activities.NullSpaceRefreshActivity;
import io.somnus.activities.StepProgress;
import io.somnus.store.VersionStates;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Duration;
import io.somnus.engine.memory.CovarianceStats;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitConfig;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.memory.MemitEditor;
import io.somnus.engine.memory.RecallProbe;
import io.somnus.engine.runtime.DjlModelRuntime;
import io.somnus.engine.sleep.ComposedModel;
import io.somnus.engine.sleep.FactStageTable;
import io.somnus.engine.sleep.MemoryState;
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.SyntheticWorld;
import io.somnus.store.EmbeddedS3Server;
import io.somnus.store.FactLedger;
import io.somnus.store.ModelRegistry;
import io.somnus.store.ModelVersion;
import io.somnus.store.NewVersion;
import io.somnus.store.S3ObjectStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sleep's null-space refresh step on the test model: a degraded fact is topped up into a new working version. */
class RefreshStepTest {
  @TempDir Path dir;

  @Test
  void aDegradedFactIsToppedUpIntoANewWorkingVersionAndTheStepIsJournaled() {
    SomnusTiny.Variant variant = SomnusTiny.Variant.TEST;
    SyntheticWorld world = variant.world();
    Path base = SomnusTiny.ensure(variant);
    LocalStepSettings settings = LocalStepSettings.forWorld(world, Device.cpu());
    Fact victim = world.heldOutFacts().get(9).fact();
    Fact bystander = world.sampleKnown(1, 3).get(0).fact();
    MemitEdit written;
    try (DjlModelRuntime rt = DjlModelRuntime.load(base, Device.cpu())) {
      MemitConfig config = MemitConfig.forCheckpoint(base, rt.config().numLayers());
      CovarianceStats stats = CovarianceStats.collect(rt.model(), rt.tokenizer(), config.layers(), settings.keyStatisticsTexts().subList(0, 30));
      written = new MemitEditor(rt, config, stats).compute(List.of(victim), List.of(), null).edit();
    }
    // An edit that takes the victim's back out: the audit would find the victim degraded.
    List<LayerDelta> undo = new ArrayList<>();
    for (LayerDelta d : written.deltas()) undo.add(d.scaled(-1f));
    MemitEdit saboteur = new MemitEdit("edit-undo", List.of(bystander), undo);

    try (EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
        S3ObjectStore store = S3ObjectStore.open(s3.settings("refresh"))) {
      ModelRegistry registry = new ModelRegistry(store);
      FactLedger ledger = new FactLedger(store);
      VersionStates states = new VersionStates(registry, ledger, dir.resolve("work"));
      ModelVersion v0 = registry.create(NewVersion.base(base, "import-1"));
      String v1 = states.derive(v0, null, List.of(), List.of(written, saboteur), FactStageTable.of(List.of(written, saboteur)),
          "wake-1", Map.of());
      try (ComposedModel m = states.state(v1).load(Device.cpu())) {
        assertFalse(new RecallProbe(m.runtime(), 12).rawRecall(victim), "degraded before the refresh");
      }

      TestActivityEnvironment env = TestActivityEnvironment.newInstance();
      env.registerActivitiesImplementations(new NullSpaceRefreshActivityImpl(new StepServices(states, new StepJournal(store), settings)));
      List<StepProgress> beats = new ArrayList<>();
      env.setActivityHeartbeatListener(StepProgress.class, beats::add);
      NullSpaceRefreshActivity refresh = env.newActivityStub(NullSpaceRefreshActivity.class, ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(10)).build());
      NullSpaceRefreshActivity.Input in = new NullSpaceRefreshActivity.Input("sleep-1", v1, List.of(victim.id()));
      NullSpaceRefreshActivity.Result r = refresh.refresh(in);
      assertFalse(beats.isEmpty(), "the step heartbeats while it works");
      assertNotEquals(v1, r.workingVersionId(), "a new working version");
      assertEquals(List.of(victim.id()), r.refreshedFactIds());
      assertTrue(r.failedFactIds().isEmpty());

      MemoryState working = states.state(r.workingVersionId());
      assertEquals(2, working.edits().size());
      assertTrue(working.edits().stream().anyMatch(e -> e.id().equals(saboteur.id())), "the other edit is untouched");
      assertEquals(0, working.stages().stage(victim).level());
      try (ComposedModel m = working.load(Device.cpu())) {
        assertTrue(new RecallProbe(m.runtime(), 12).rawRecall(victim), "recalled in the working version");
      }
      try (ComposedModel m = states.state(v1).load(Device.cpu())) {
        assertFalse(new RecallProbe(m.runtime(), 12).rawRecall(victim), "the version it started from is unchanged");
      }
      assertEquals(r, refresh.refresh(in), "a retried step returns what it did the first time");
      env.close();
    }
  }
}
