package io.somnus.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.somnus.engine.memory.Fact;
import io.somnus.engine.memory.LayerDelta;
import io.somnus.engine.memory.MemitEdit;
import io.somnus.engine.model.DType;
import io.somnus.engine.model.HostTensor;
import io.somnus.engine.model.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link MemitEdit} as one safetensors blob: tensors {@code delta.<i>.u} [rows × rank] and
 * {@code delta.<i>.v} [cols × rank] in float32, and a JSON description of the edit (id, facts, the
 * weight each delta changes) in the header metadata under {@value #METADATA_KEY}. Any safetensors
 * reader can open it; the facts travel with the weights they wrote.
 */
public final class EditArtifacts {
  public static final String METADATA_KEY = "somnus.memit_edit";

  private EditArtifacts() {}

  /** Stores the edit; returns its content key. */
  public static String write(ObjectStore store, MemitEdit edit) {
    if (!edit.isFinite()) throw new IllegalArgumentException("edit " + edit.id() + " has non-finite values; refusing to store it");
    ObjectNode meta = Json.MAPPER.createObjectNode();
    meta.put("id", edit.id());
    ArrayNode facts = meta.putArray("facts");
    for (Fact f : edit.facts()) facts.addObject().put("subject", f.subject()).put("relation", f.relation()).put("object", f.object());
    ArrayNode deltas = meta.putArray("deltas");
    List<HostTensor> tensors = new ArrayList<>();
    for (int i = 0; i < edit.deltas().size(); i++) {
      LayerDelta d = edit.deltas().get(i);
      deltas.addObject().put("weight", d.weightName()).put("rows", d.rows()).put("cols", d.cols()).put("rank", d.rank());
      tensors.add(new HostTensor("delta." + i + ".u", DType.F32, new long[] {d.rows(), d.rank()}, d.u()));
      tensors.add(new HostTensor("delta." + i + ".v", DType.F32, new long[] {d.cols(), d.rank()}, d.v()));
    }
    Path tmp = null;
    try {
      tmp = Files.createTempFile("memit-edit-", ".safetensors");
      SafeTensors.write(tmp, tensors, Map.of(METADATA_KEY, meta.toString()));
      return store.put(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialise edit " + edit.id(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** Reads an edit back (verified against its key). */
  public static MemitEdit read(ObjectStore store, String key) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile("memit-edit-", ".safetensors");
      store.get(key, tmp);
      try (SafeTensors st = SafeTensors.open(tmp)) {
        String json = st.metadata().get(METADATA_KEY);
        if (json == null) throw new ObjectStoreException("blob " + key + " is a safetensors file but not a MEMIT edit (no " + METADATA_KEY + " metadata)");
        JsonNode meta = Json.MAPPER.readTree(json);
        List<Fact> facts = new ArrayList<>();
        for (JsonNode f : meta.path("facts")) facts.add(new Fact(f.path("subject").asText(), f.path("relation").asText(), f.path("object").asText()));
        List<LayerDelta> deltas = new ArrayList<>();
        JsonNode ds = meta.path("deltas");
        for (int i = 0; i < ds.size(); i++) {
          JsonNode d = ds.get(i);
          deltas.add(new LayerDelta(d.path("weight").asText(), d.path("rows").asInt(), d.path("cols").asInt(), d.path("rank").asInt(),
              st.read("delta." + i + ".u").data(), st.read("delta." + i + ".v").data()));
        }
        return new MemitEdit(meta.path("id").asText(), facts, deltas);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read edit " + key, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p == null) return;
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // temp file; the OS cleans its temp folder
    }
  }
}
