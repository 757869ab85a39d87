package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies safetensors data into libtorch-owned float32 arrays a bounded chunk at a time, so loading a
 * model holds at most one chunk in Java memory beside the weights (a whole-model float[] copy doubled
 * the load's peak). The arrays are allocated by libtorch, not backed by Java direct buffers.
 */
final class NativeLoader {
  /** Values in flight per copy: 16 MiB of float32. */
  private static final int CHUNK_VALUES = 1 << 22;
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private ByteBuffer raw = ByteBuffer.allocateDirect(0);
  private ByteBuffer floats = ByteBuffer.allocateDirect(0);

  /** The tensor {@code e} of {@code file} as a float32 array of {@code manager} (on its device). */
  NDArray load(SafeTensors file, SafeTensors.Entry e, NDManager manager) {
    long[] shape = e.shape();
    long numel = HostTensor.numel(shape);
    NDArray out = manager.create(new Shape(shape), DataType.FLOAT32);
    if (numel == 0) return out;
    long cols = shape.length == 0 ? 1 : shape[shape.length - 1];
    long rows = numel / cols;
    long rowsPerChunk = Math.max(1, CHUNK_VALUES / cols);
    ensureCapacity((int) Math.min(numel, rowsPerChunk * cols), e.dtype());
    int width = e.dtype().bytes();
    NDArray matrix = out.reshape(rows, cols); // a view: rows written through it land in out
    try {
      for (long r = 0; r < rows; r += rowsPerChunk) {
        long n = Math.min(rowsPerChunk, rows - r);
        int values = (int) (n * cols);
        ByteBuffer chunk = floats.duplicate().clear().limit(values * 4);
        if (e.dtype() == DType.F32 && LITTLE_ENDIAN) {
          file.readRaw(e, r * cols * width, chunk.duplicate());
        } else {
          ByteBuffer src = raw.duplicate().clear().limit(values * width);
          file.readRaw(e, r * cols * width, src.duplicate());
          e.dtype().decodeInto(src, chunk.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer(), values);
        }
        try (NDManager step = manager.newSubManager()) {
          matrix.set(new NDIndex().addSliceDim(r, r + n), step.create(chunk, new Shape(n, cols), DataType.FLOAT32));
        }
      }
    } finally {
      matrix.close();
    }
    return out;
  }

  private void ensureCapacity(int values, DType dtype) {
    if (floats.capacity() < values * 4) floats = ByteBuffer.allocateDirect(values * 4).order(ByteOrder.nativeOrder());
    if (dtype != DType.F32 && raw.capacity() < values * dtype.bytes()) raw = ByteBuffer.allocateDirect(values * dtype.bytes());
  }
}
