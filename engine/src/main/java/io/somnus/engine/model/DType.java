package io.somnus.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Storage dtypes a checkpoint may hold. Computation is always float32; these only describe bytes
 * on disk, so conversion is done here in Java (the PyTorch CPU build aborts the JVM when asked to
 * convert to bfloat16, see shared/notes/djl-offline.md).
 */
public enum DType {
  F32("F32", 4),
  F16("F16", 2),
  BF16("BF16", 2);

  private final String safetensorsName;
  private final int bytes;

  DType(String safetensorsName, int bytes) {
    this.safetensorsName = safetensorsName;
    this.bytes = bytes;
  }

  public String safetensorsName() {
    return safetensorsName;
  }

  public int bytes() {
    return bytes;
  }

  /** Returns null for dtypes the engine cannot read (integers, packed quantised formats, F64). */
  public static DType fromSafetensors(String name) {
    for (DType t : values()) {
      if (t.safetensorsName.equals(name)) return t;
    }
    return null;
  }

  /** Maps the {@code torch_dtype} of config.json; unknown or absent means float32. */
  public static DType fromTorchName(String torchDtype) {
    if (torchDtype == null) return F32;
    return switch (torchDtype) {
      case "float16", "half" -> F16;
      case "bfloat16" -> BF16;
      default -> F32;
    };
  }

  public String torchName() {
    return switch (this) {
      case F32 -> "float32";
      case F16 -> "float16";
      case BF16 -> "bfloat16";
    };
  }

  /** Decodes little-endian values of this dtype into floats. */
  public float[] decode(ByteBuffer src, int count) {
    ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[count];
    switch (this) {
      case F32 -> b.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < count; i++) out[i] = halfToFloat(b.getShort());
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
      }
    }
    return out;
  }

  /** Decodes {@code count} little-endian values of this dtype from {@code src} into {@code dst} (relative puts). */
  public void decodeInto(ByteBuffer src, java.nio.FloatBuffer dst, int count) {
    ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (this) {
      case F32 -> {
        java.nio.FloatBuffer f = b.asFloatBuffer();
        f.limit(count);
        dst.put(f);
      }
      case F16 -> {
        for (int i = 0; i < count; i++) dst.put(halfToFloat(b.getShort()));
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) dst.put(Float.intBitsToFloat((b.getShort() & 0xffff) << 16));
      }
    }
  }

  /** Encodes floats into little-endian values of this dtype (round to nearest even). */
  public void encode(float[] values, ByteBuffer dst) {
    ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
    switch (this) {
      case F32 -> {
        for (float v : values) b.putFloat(v);
      }
      case F16 -> {
        for (float v : values) b.putShort((short) floatToHalf(v));
      }
      case BF16 -> {
        for (float v : values) b.putShort((short) floatToBfloat16(v));
      }
    }
  }

  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits >>> 15) << 31;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float f = mant * 0x1p-24f;
      return sign != 0 ? -f : f;
    }
    if (exp == 31) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  static int floatToHalf(float f) {
    int x = Float.floatToRawIntBits(f);
    int sign = (x >>> 16) & 0x8000;
    int exp = (x >>> 23) & 0xff;
    int mant = x & 0x7fffff;
    if (exp == 0xff) return sign | 0x7c00 | (mant != 0 ? 0x200 : 0);
    int e = exp - 127 + 15;
    if (e >= 31) return sign | 0x7c00;
    if (e <= 0) {
      if (e < -10) return sign;
      int full = mant | 0x800000;
      int shift = 14 - e;
      int h = full >> shift;
      int rem = full & ((1 << shift) - 1);
      int half = 1 << (shift - 1);
      if (rem > half || (rem == half && (h & 1) != 0)) h++;
      return sign | h;
    }
    int h = (e << 10) | (mant >> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) h++;
    return sign | h;
  }

  static int floatToBfloat16(float f) {
    int x = Float.floatToRawIntBits(f);
    if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff) != 0) return 0x7fc0;
    int lsb = (x >>> 16) & 1;
    return (x + 0x7fff + lsb) >>> 16;
  }
}
