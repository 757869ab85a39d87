package io.somnus.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Reads and writes {@link FactRow}s as a Parquet file on the local disk, with parquet-hadoop's
 * local-file API (no Hadoop installation, no HDFS). The Hadoop client API jar must still be on the
 * classpath: the builders overload on Hadoop types and the read options construct (but, with
 * {@link ParquetCodecs}, never use) a Hadoop codec factory. Columns are named in snake_case so that
 * pandas, DuckDB or Spark read the file directly.
 */
public final class ParquetFactTable {
  static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
      message fact_row {
        required binary fact_id (STRING);
        required binary subject (STRING);
        required binary relation (STRING);
        required binary object (STRING);
        optional binary source_turn (STRING);
        optional binary edit_id (STRING);
        required int32 stage;
        required float memit_scale;
        optional double raw_recall;
        optional double chat_recall;
        required binary run_id (STRING);
        optional binary model_version (STRING);
        required int64 time (TIMESTAMP(MILLIS,true));
        optional binary retired (STRING);
        optional binary supersedes (STRING);
        optional binary superseded_by (STRING);
      }
      """);
  /** Columns added after the first schema: a snapshot written before them reads as rows with them null. */
  private static final java.util.Set<String> ADDED_LATER = java.util.Set.of("retired", "supersedes", "superseded_by");
  static final String META_SCHEMA_VERSION = "somnus.fact_ledger.schema";

  private ParquetFactTable() {}

  /** Writes {@code rows} to {@code file} atomically (temp file + rename). */
  public static void write(Path file, List<FactRow> rows, Map<String, String> metadata) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      Map<String, String> meta = new java.util.HashMap<>(metadata);
      meta.put(META_SCHEMA_VERSION, "2");
      SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
      try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(tmp))
          .withConf(new PlainParquetConfiguration())
          .withType(SCHEMA)
          .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
          .withCompressionCodec(CompressionCodecName.ZSTD)
          .withCodecFactory(ParquetCodecs.INSTANCE)
          .withExtraMetaData(meta)
          .build()) {
        for (FactRow r : rows) w.write(toGroup(groups, r));
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads every row.
   *
   * @param what how to name the file in errors (e.g. the run and blob key)
   * @throws LedgerFormatException if the file is not a readable fact table
   */
  public static List<FactRow> read(Path file, String what) {
    List<FactRow> out = new ArrayList<>();
    ParquetReadOptions opts = ParquetReadOptions.builder(new PlainParquetConfiguration())
        .withCodecFactory(ParquetCodecs.INSTANCE).build();
    try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), opts)) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      for (org.apache.parquet.schema.Type field : SCHEMA.getFields()) {
        String col = field.getName();
        if (!schema.containsField(col) && !ADDED_LATER.contains(col)) {
          throw new LedgerFormatException(what + " is a Parquet file but not a fact table: column '" + col + "' is missing", null);
        }
      }
      PageReadStore pages;
      while ((pages = reader.readNextRowGroup()) != null) {
        RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++) out.add(fromGroup(records.read()));
      }
    } catch (LedgerFormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new LedgerFormatException(what + " is not a readable Parquet fact table: " + e.getMessage(), e);
    }
    return out;
  }

  private static Group toGroup(SimpleGroupFactory groups, FactRow r) {
    Group g = groups.newGroup()
        .append("fact_id", r.factId())
        .append("subject", r.subject())
        .append("relation", r.relation())
        .append("object", r.object());
    if (r.sourceTurn() != null) g.append("source_turn", r.sourceTurn());
    if (r.editId() != null) g.append("edit_id", r.editId());
    g.append("stage", r.stage()).append("memit_scale", r.memitScale());
    if (r.rawRecall() != null) g.append("raw_recall", r.rawRecall());
    if (r.chatRecall() != null) g.append("chat_recall", r.chatRecall());
    g.append("run_id", r.runId());
    if (r.modelVersion() != null) g.append("model_version", r.modelVersion());
    g.append("time", r.time().toEpochMilli());
    if (r.retired() != null) g.append("retired", r.retired());
    if (r.supersedes() != null) g.append("supersedes", r.supersedes());
    if (r.supersededBy() != null) g.append("superseded_by", r.supersededBy());
    return g;
  }

  private static FactRow fromGroup(Group g) {
    return new FactRow(
        g.getString("fact_id", 0), g.getString("subject", 0), g.getString("relation", 0), g.getString("object", 0),
        optString(g, "source_turn"), optString(g, "edit_id"),
        g.getInteger("stage", 0), g.getFloat("memit_scale", 0),
        optDouble(g, "raw_recall"), optDouble(g, "chat_recall"),
        g.getString("run_id", 0), optString(g, "model_version"),
        Instant.ofEpochMilli(g.getLong("time", 0)),
        optString(g, "retired"), optString(g, "supersedes"), optString(g, "superseded_by"));
  }

  private static String optString(Group g, String field) {
    return !g.getType().containsField(field) || g.getFieldRepetitionCount(field) == 0 ? null : g.getString(field, 0);
  }

  private static Double optDouble(Group g, String field) {
    return g.getFieldRepetitionCount(field) == 0 ? null : g.getDouble(field, 0);
  }
}
