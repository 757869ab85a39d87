package io.somnus.engine.memory;

/**
 * Where a fact is on its way from MEMIT (fast, fragile, capacity-limited) into fused LoRA weights
 * (slow, durable). A fact advances one stage per sleep in which the candidate model recalls it with
 * its MEMIT edit switched off; its edit's scale follows the lowest stage among the edit's facts.
 */
public enum FactStage {
  /** Just written by MEMIT; no sleep has proven anything yet. */
  WAKE(0, 1.0f),
  /** LoRA recalled it once without MEMIT help. */
  CONSOLIDATING(1, 0.5f),
  /** Recalled twice; MEMIT is nearly off. */
  NEARLY_CONSOLIDATED(2, 0.1f),
  /** Held by fused weights alone; the MEMIT edit is dissolved and its capacity freed. */
  CONSOLIDATED(3, 0.0f);

  private final int level;
  private final float memitScale;

  FactStage(int level, float memitScale) {
    this.level = level;
    this.memitScale = memitScale;
  }

  public int level() {
    return level;
  }

  /** Scale applied to the MEMIT edit of a fact at this stage. */
  public float memitScale() {
    return memitScale;
  }

  public static FactStage ofLevel(int level) {
    for (FactStage s : values()) if (s.level == level) return s;
    throw new IllegalArgumentException("fact stage must be 0..3, got " + level);
  }

  public FactStage advance() {
    return this == CONSOLIDATED ? this : ofLevel(level + 1);
  }

  /** A failed gate steps back one stage (not to zero): one bad night should not undo three good ones. */
  public FactStage backOff() {
    return this == WAKE ? this : ofLevel(level - 1);
  }
}
