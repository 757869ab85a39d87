package io.somnus.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reader and writer for the safetensors format: an 8-byte little-endian header length, a JSON header
 * mapping tensor names to dtype/shape/byte range, then the raw data. The header is validated fully
 * before any data is touched, so a truncated or hand-edited file fails with a message, not a native
 * crash.
 */
public final class SafeTensors implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Headers above this size are treated as corrupt rather than allocated. */
  private static final long MAX_HEADER_BYTES = 100L << 20;

  /** Where one tensor lies in the file and how to read it. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  public static SafeTensors open(Path file) {
    if (!Files.isRegularFile(file)) throw CheckpointException.inFile(file, "file not found");
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot open: " + e.getMessage(), e);
    }
    try {
      long size = ch.size();
      if (size < 8) throw CheckpointException.inFile(file, "not a safetensors file (" + size + " bytes, header length missing)");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
        throw CheckpointException.inFile(file, "corrupt safetensors header length " + headerLen + " (file is " + size + " bytes)");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8);
      JsonNode root;
      try {
        root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw CheckpointException.inFile(file, "corrupt safetensors header: not valid JSON (" + e.getMessage() + ")");
      }
      if (root == null || !root.isObject()) throw CheckpointException.inFile(file, "corrupt safetensors header: not a JSON object");
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, Entry> entries = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (f.getKey().equals("__metadata__")) {
          f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), dataLen));
      }
      return new SafeTensors(file, ch, dataStart, entries, metadata);
    } catch (RuntimeException | IOException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the original failure is the one worth reporting
      }
      if (e instanceof RuntimeException re) throw re;
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Entry parseEntry(Path file, String name, JsonNode node, long dataLen) {
    JsonNode dt = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offsets = node.get("data_offsets");
    if (dt == null || shapeNode == null || offsets == null || !shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
      throw CheckpointException.inTensor(file, name, "header entry lacks dtype, shape or data_offsets");
    }
    DType dtype = DType.fromSafetensors(dt.asText());
    if (dtype == null) {
      throw CheckpointException.inTensor(file, name, "dtype " + dt.asText()
          + " is not supported (readable: F32, F16, BF16; quantised checkpoints must be dequantised first)");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (shape[i] < 0) throw CheckpointException.inTensor(file, name, "negative or non-integer dimension in shape " + shapeNode);
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    long expected = HostTensor.numel(shape) * dtype.bytes();
    if (begin < 0 || end < begin || end > dataLen) {
      throw CheckpointException.inTensor(file, name, "data_offsets [" + begin + ", " + end + "] outside the data section of " + dataLen + " bytes (truncated file?)");
    }
    if (end - begin != expected) {
      throw CheckpointException.inTensor(file, name, "byte range holds " + (end - begin) + " bytes but shape " + shapeNode + " of " + dtype + " needs " + expected);
    }
    if (expected / dtype.bytes() > Integer.MAX_VALUE - 8) {
      throw CheckpointException.inTensor(file, name, "tensor too large for one Java array");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) throw new IOException("unexpected end of file");
      pos += n;
    }
  }

  public Path file() {
    return file;
  }

  public Set<String> names() {
    return entries.keySet();
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) throw CheckpointException.inTensor(file, name, "not present in this file");
    return e;
  }

  /** Reads one tensor, widened to float32. */
  public HostTensor read(String name) {
    Entry e = entry(name);
    try {
      ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
      return new HostTensor(name, e.dtype(), e.shape(), e.dtype().decode(buf, (int) ((e.end() - e.begin()) / e.dtype().bytes())));
    } catch (IOException ex) {
      throw new CheckpointException(file + ": tensor '" + name + "': cannot read data: " + ex.getMessage(), ex);
    }
  }

  /**
   * Reads {@code dst.remaining()} bytes of a tensor's stored data, starting {@code byteOffset} bytes into it, into
   * {@code dst} (no conversion): for copying large tensors in chunks without holding them whole in Java memory.
   */
  public void readRaw(Entry e, long byteOffset, ByteBuffer dst) {
    if (byteOffset < 0 || byteOffset + dst.remaining() > e.end() - e.begin()) {
      throw new IllegalArgumentException("bytes " + byteOffset + ".." + (byteOffset + dst.remaining()) + " outside tensor '" + e.name() + "'");
    }
    try {
      readFully(channel, dst, dataStart + e.begin() + byteOffset);
    } catch (IOException ex) {
      throw new CheckpointException(file + ": tensor '" + e.name() + "': cannot read data: " + ex.getMessage(), ex);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // read-only channel: nothing to lose on close failure
    }
  }

  /**
   * Writes tensors to {@code file} atomically (temp file in the same folder, then rename), each in
   * its {@link HostTensor#storedAs()} dtype, in the given order.
   */
  public static void write(Path file, Collection<HostTensor> tensors, Map<String, String> metadata) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (HostTensor t : tensors) {
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", t.storedAs().safetensorsName());
      var shape = e.putArray("shape");
      for (long s : t.shape()) shape.add(s);
      var offs = e.putArray("data_offsets");
      offs.add(offset);
      offset += t.byteSize();
      offs.add(offset);
    }
    byte[] headerBytes = JSON.writeValueAsBytes(header);
    // Pad with spaces to 8-byte alignment, as the reference writer does, so data is aligned for mmap.
    int padded = (headerBytes.length + 7) / 8 * 8;
    byte[] h = new byte[padded];
    System.arraycopy(headerBytes, 0, h, 0, headerBytes.length);
    for (int i = headerBytes.length; i < padded; i++) h[i] = ' ';

    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).flip();
      writeFully(out, len);
      writeFully(out, ByteBuffer.wrap(h));
      for (HostTensor t : tensors) {
        float[] data = t.data();
        int chunk = 1 << 20;
        for (int start = 0; start < data.length; start += chunk) {
          int n = Math.min(chunk, data.length - start);
          float[] part = start == 0 && n == data.length ? data : java.util.Arrays.copyOfRange(data, start, start + n);
          ByteBuffer buf = ByteBuffer.allocate(n * t.storedAs().bytes());
          t.storedAs().encode(part, buf);
          writeFully(out, buf.flip());
        }
      }
      out.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) ch.write(buf);
  }

  /** Splits tensors into shards of at most {@code maxShardBytes} (a tensor is never split). */
  public static List<List<HostTensor>> shard(Collection<HostTensor> tensors, long maxShardBytes) {
    List<List<HostTensor>> shards = new ArrayList<>();
    List<HostTensor> current = new ArrayList<>();
    long bytes = 0;
    for (HostTensor t : tensors) {
      if (!current.isEmpty() && bytes + t.byteSize() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(t);
      bytes += t.byteSize();
    }
    if (!current.isEmpty()) shards.add(current);
    return shards;
  }
}
