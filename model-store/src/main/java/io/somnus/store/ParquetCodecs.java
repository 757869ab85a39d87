package io.somnus.store;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Page compression for Parquet without Hadoop's codec machinery: ZSTD through zstd-jni and SNAPPY
 * through snappy-java, both already on the classpath via parquet-hadoop.
 *
 * <p>Why: parquet-hadoop's default codec factory looks codecs up through a Hadoop
 * {@code Configuration}, whose first read parses core-default.xml with a shaded XML parser that
 * only the 30 MB hadoop-client-runtime jar provides. With this factory only the Hadoop API classes
 * are loaded, never used. Page formats are the standard ones, so pandas, DuckDB and Spark read the
 * files.
 */
final class ParquetCodecs implements CompressionCodecFactory {
  static final ParquetCodecs INSTANCE = new ParquetCodecs();
  private static final int ZSTD_LEVEL = 3;

  @Override
  public BytesInputCompressor getCompressor(CompressionCodecName codec) {
    checkSupported(codec);
    return new BytesInputCompressor() {
      @Override
      public BytesInput compress(BytesInput bytes) throws IOException {
        byte[] raw = bytesOf(bytes);
        return switch (codec) {
          case UNCOMPRESSED -> BytesInput.from(raw);
          case ZSTD -> BytesInput.from(Zstd.compress(raw, ZSTD_LEVEL));
          case SNAPPY -> BytesInput.from(Snappy.compress(raw));
          default -> throw new IllegalStateException("unreachable");
        };
      }

      @Override
      public CompressionCodecName getCodecName() {
        return codec;
      }

      @Override
      public void release() {}
    };
  }

  @Override
  public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
    checkSupported(codec);
    return new BytesInputDecompressor() {
      @Override
      public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
        byte[] packed = bytesOf(bytes);
        byte[] raw = switch (codec) {
          case UNCOMPRESSED -> packed;
          case ZSTD -> Zstd.decompress(packed, uncompressedSize);
          case SNAPPY -> Snappy.uncompress(packed);
          default -> throw new IllegalStateException("unreachable");
        };
        if (raw.length != uncompressedSize) {
          throw new IOException(codec + " page decompressed to " + raw.length + " bytes, header says " + uncompressedSize);
        }
        return BytesInput.from(raw);
      }

      @Override
      public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize) throws IOException {
        byte[] packed = new byte[compressedSize];
        input.get(packed);
        output.put(bytesOf(decompress(BytesInput.from(packed), uncompressedSize)));
      }

      @Override
      public void release() {}
    };
  }

  @Override
  public void release() {}

  /** The bytes of a page ({@code BytesInput.toByteArray} is deprecated; this is its plain equivalent). */
  private static byte[] bytesOf(BytesInput in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.toIntExact(in.size()));
    in.writeAllTo(out);
    return out.toByteArray();
  }

  private static void checkSupported(CompressionCodecName codec) {
    switch (codec) {
      case UNCOMPRESSED, ZSTD, SNAPPY -> { }
      default -> throw new UnsupportedOperationException("Parquet codec " + codec + " is not supported here (UNCOMPRESSED, SNAPPY, ZSTD are)");
    }
  }
}
