package io.somnus.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Keys and values of past positions, per layer ([B, kvHeads, S, headDim]), for incremental decoding. */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int length;

  public KvCache(NDManager parent, int layers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
  }

  public int length() {
    return length;
  }

  NDArray keys(int layer) {
    return keys[layer];
  }

  NDArray values(int layer) {
    return values[layer];
  }

  /** Replaces a layer's entries with the concatenated ones, taking ownership of them. */
  void put(int layer, NDArray k, NDArray v) {
    if (keys[layer] != null) {
      keys[layer].close();
      values[layer].close();
    }
    k.attach(manager);
    v.attach(manager);
    keys[layer] = k;
    values[layer] = v;
  }

  void advance(int tokens) {
    length += tokens;
  }

  @Override
  public void close() {
    manager.close();
  }
}
