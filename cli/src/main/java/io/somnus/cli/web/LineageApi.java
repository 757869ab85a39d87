package io.somnus.cli.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.somnus.infra.HistoryArchive;
import io.somnus.infra.SomnusServices;
import io.somnus.store.Aliases;
import io.somnus.store.FactChange;
import io.somnus.store.FactRow;
import io.somnus.store.Lineage;
import io.somnus.store.MetricPoint;
import io.somnus.store.ModelVersion;
import io.somnus.store.ObjectNotFoundException;
import io.somnus.store.VersionNotFoundException;
import io.somnus.workflows.RollbackWorkflow;
import io.temporal.client.WorkflowException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lineage page ({@code /ui/}) and the JSON it reads ({@code /api/lineage/...}): the versions as a graph, each
 * fact's stage and scale over the runs that recorded it, the tracked runs with their metrics, outcomes, reasons and
 * saved workflow histories, the diff of two versions' fact tables, and rollback.
 *
 * <p>Every answer comes from the model store's {@link Lineage}, registry, ledger and tracking, as the CLI's
 * {@code lineage} and {@code runs} commands read them; a rollback is started through {@link Rollbacks}, which the CLI
 * gives the same {@code RollbackWorkflow} start that {@code somnus rollback} uses, so it is a recorded run.
 */
public final class LineageApi implements WebServer.Routes {
  /** Starts a rollback run and waits for it: live moves to {@code targetVersionId} (null: the previous version). */
  @FunctionalInterface
  public interface Rollbacks {
    RollbackWorkflow.Result rollback(String targetVersionId, String reason);
  }

  private static final String API = "/api/lineage";

  private final SomnusServices services;
  private final Rollbacks rollbacks;
  private final Path historiesDir;

  /** @param rollbacks null: the page is read-only (a rollback POST is a 403 that says how to allow it) */
  public LineageApi(SomnusServices services, Rollbacks rollbacks) {
    this.services = services;
    this.rollbacks = rollbacks;
    this.historiesDir = HistoryArchive.of(services.config()).dir();
  }

  @Override
  public void addTo(JavalinConfig config) {
    config.staticFiles.add(files -> {
      files.hostedPath = "/ui";
      files.directory = "/io/somnus/cli/web/ui";
      files.location = Location.CLASSPATH;
    });
    config.staticFiles.enableWebjars();
    config.routes.get("/", ctx -> ctx.redirect("/ui/"));
    config.routes.get(API + "/overview", ctx -> Json.send(ctx, 200, overview()));
    config.routes.get(API + "/versions/{id}", ctx -> Json.send(ctx, 200, version(ctx.pathParam("id"))));
    config.routes.get(API + "/facts", ctx -> Json.send(ctx, 200, facts()));
    config.routes.get(API + "/facts/{id}", ctx -> Json.send(ctx, 200, fact(ctx.pathParam("id"))));
    config.routes.get(API + "/runs", ctx -> Json.send(ctx, 200, services.lineage().runs().stream().map(LineageApi::run).toList()));
    config.routes.get(API + "/runs/{id}", ctx -> Json.send(ctx, 200, runDetail(ctx.pathParam("id"))));
    config.routes.get(API + "/diff", ctx -> Json.send(ctx, 200, diff(ctx.queryParam("from"), ctx.queryParam("to"))));
    config.routes.post(API + "/rollback", this::rollback);
    config.routes.exception(VersionNotFoundException.class, (e, ctx) -> notFound(ctx, e.getMessage()));
    config.routes.exception(ObjectNotFoundException.class, (e, ctx) -> notFound(ctx, e.getMessage()));
  }

  private static void notFound(Context ctx, String message) {
    Json.send(ctx, 404, new ApiError(404, "invalid_request_error", null, "not_found", message).body());
  }

  private ObjectNode overview() {
    ObjectNode out = Json.object().put("model", services.config().modelId()).put("rollback", rollbacks != null);
    Aliases aliases = services.registry().aliases();
    out.set("aliases", Json.MAPPER.valueToTree(aliases));
    List<Map<String, Object>> versions = new ArrayList<>();
    for (Lineage.VersionNode node : services.lineage().versionGraph()) {
      ModelVersion v = node.version();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", v.id());
      m.put("parent", v.parentId());
      m.put("kind", node.kind());
      m.put("live", node.live());
      m.put("previous", node.previous());
      m.put("createdAt", v.createdAt());
      m.put("createdByRun", v.createdByRun());
      m.put("adapters", v.loraHistory().size());
      m.put("edits", v.memitEdits());
      m.put("metrics", v.metrics());
      versions.add(m);
    }
    out.set("versions", Json.MAPPER.valueToTree(versions));
    return out;
  }

  private ObjectNode version(String id) {
    Lineage.Composition c = services.lineage().composition(checkVersionId(id));
    ObjectNode out = Json.object();
    out.set("version", Json.MAPPER.valueToTree(c.version()));
    out.set("ancestry", Json.MAPPER.valueToTree(c.ancestry()));
    out.set("producedBy", Json.MAPPER.valueToTree(c.producedBy().map(r -> run(Lineage.RunRecord.of(r))).orElse(null)));
    out.set("factTable", Json.MAPPER.valueToTree(c.factTable().orElse(null)));
    out.set("facts", Json.MAPPER.valueToTree(c.factTable().map(s -> services.ledger().table(s.runId())).orElse(List.of())));
    return out;
  }

  /** The live version's fact table. */
  private ObjectNode facts() {
    String live = services.registry().aliases().live();
    ObjectNode out = Json.object().put("version", live);
    List<FactRow> rows = live == null ? List.of()
        : services.ledger().tableOfVersion(live).orElse(List.of()).stream().filter(FactRow::held).toList();
    out.set("facts", Json.MAPPER.valueToTree(rows));
    return out;
  }

  private ObjectNode fact(String id) {
    if (!id.matches("[0-9a-f]{6,64}")) throw ApiError.invalid("id", "invalid_value", "A fact id is hexadecimal, like 3a9f00c1d2e4; got '" + id + "'.");
    List<FactRow> records = services.ledger().history(id);
    if (records.isEmpty()) throw ApiError.notFound("id", "not_found", "Fact " + id + " is in no ledger snapshot.");
    ObjectNode out = Json.object();
    out.set("fact", Json.MAPPER.valueToTree(records.get(records.size() - 1)));
    out.set("records", Json.MAPPER.valueToTree(records));
    out.set("changes", Json.MAPPER.valueToTree(services.lineage().factHistory(id)));
    return out;
  }

  private static Map<String, Object> run(Lineage.RunRecord r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runId", r.runId());
    m.put("kind", r.kind());
    m.put("outcome", r.outcome());
    m.put("reasons", r.reasons());
    m.put("status", r.tracked().status());
    m.put("startTime", r.tracked().startTime());
    m.put("endTime", r.tracked().endTime());
    m.put("modelVersion", r.modelVersion());
    m.put("metrics", r.tracked().latestMetrics());
    m.put("params", r.tracked().params());
    m.put("tags", r.tracked().tags());
    m.put("trackingRunId", r.tracked().runId());
    return m;
  }

  /** A run with every logged point of each metric and the steps of its saved workflow history, if one was saved. */
  private ObjectNode runDetail(String runId) {
    Lineage.RunRecord r = services.lineage().runs().stream().filter(x -> x.runId().equals(runId)).findFirst()
        .orElseThrow(() -> ApiError.notFound("id", "not_found", "No tracked run " + runId + " in experiment " + services.experiment() + "."));
    ObjectNode out = Json.MAPPER.valueToTree(run(r));
    Map<String, List<MetricPoint>> histories = new LinkedHashMap<>();
    for (String key : r.tracked().latestMetrics().keySet()) histories.put(key, services.tracking().metricHistory(r.tracked().runId(), key));
    out.set("metricHistory", Json.MAPPER.valueToTree(histories));
    out.set("workflow", Json.MAPPER.valueToTree(WorkflowSteps.read(historiesDir, runId).orElse(null)));
    return out;
  }

  private ObjectNode diff(String from, String to) {
    if (from == null || to == null) throw ApiError.invalid(from == null ? "from" : "to", "missing_required_parameter", "Give two versions: ?from=mv-...&to=mv-...");
    List<FactChange> changes = services.lineage().diff(checkVersionId(from), checkVersionId(to));
    ObjectNode out = Json.object().put("from", from).put("to", to);
    out.set("changes", Json.MAPPER.valueToTree(changes));
    return out;
  }

  /**
   * Body {@code {"to": "mv-..." (null: the previous version), "reason": "...", "expectedLive": "mv-..."}}: the live
   * version the page showed when the user confirmed, so a rollback never acts on a state nobody saw. JSON only: a
   * cross-site form cannot send it.
   */
  private void rollback(Context ctx) {
    if (rollbacks == null) {
      throw new ApiError(403, "invalid_request_error", null, "rollback_disabled", "Rollback from the page is off on this server: it "
          + "listens beyond this machine. Use `somnus rollback`, or start the server with --allow-rollback behind your own authentication.");
    }
    String type = ctx.contentType();
    if (type == null || !type.startsWith("application/json")) {
      throw new ApiError(415, "invalid_request_error", null, "unsupported_media_type", "Send the rollback as application/json.");
    }
    JsonNode body = Json.read(ctx);
    String target = body.hasNonNull("to") ? checkVersionId(body.get("to").asText()) : null;
    String reason = body.path("reason").asText("").strip();
    if (reason.isEmpty()) throw ApiError.invalid("reason", "missing_required_parameter", "Give a reason: it is recorded with the rollback run.");
    String expected = body.path("expectedLive").asText(null);
    if (expected == null) throw ApiError.invalid("expectedLive", "missing_required_parameter", "Give the live version you saw (expectedLive).");
    Aliases aliases = services.registry().aliases();
    if (!expected.equals(aliases.live())) {
      throw new ApiError(409, "invalid_request_error", "expectedLive", "live_moved", "Live is " + aliases.live() + " now, not " + expected
          + ": it moved since the page showed it. Reload and confirm again.");
    }
    if (target != null) {
      services.registry().version(target); // unknown: 404 before anything starts
      if (target.equals(aliases.live())) throw ApiError.invalid("to", "invalid_value", target + " is already live.");
    } else if (aliases.previous() == null) {
      throw ApiError.invalid("to", "invalid_value", "There is no previous version to roll back to; name one.");
    }
    RollbackWorkflow.Result result;
    try {
      result = rollbacks.rollback(target, reason);
    } catch (WorkflowException e) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      throw new ApiError(409, "invalid_request_error", null, "rollback_failed", "The rollback run failed: " + root.getMessage());
    }
    Json.send(ctx, 200, Json.object().put("runId", result.runId()).put("from", result.fromVersionId()).put("to", result.toVersionId()));
  }

  private static String checkVersionId(String id) {
    if (id == null || !id.matches("mv-[0-9a-f]{16}")) {
      throw ApiError.invalid("version", "invalid_value", "A model version id looks like mv-0123456789abcdef; got '" + id + "'.");
    }
    return id;
  }
}
