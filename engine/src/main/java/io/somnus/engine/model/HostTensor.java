package io.somnus.engine.model;

import java.util.Arrays;

/**
 * A tensor held in Java memory as float32, with the dtype it was (or will be) stored in. This is the
 * interchange form between files and the runtime: checkpoints are read into it and written from it.
 */
public record HostTensor(String name, DType storedAs, long[] shape, float[] data) {

  public HostTensor {
    long n = numel(shape);
    if (n != data.length) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
          + " needs " + n + " values, got " + data.length);
    }
    shape = shape.clone();
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long s : shape) n *= s;
    return n;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long byteSize() {
    return (long) data.length * storedAs.bytes();
  }
}
