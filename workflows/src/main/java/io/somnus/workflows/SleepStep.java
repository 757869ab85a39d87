package io.somnus.workflows;

/** The steps of a sleep, in order: the names progress queries and the CLI show. */
public enum SleepStep {
  HEALTH_CHECK("HealthCheck"),
  CURATE("Curate"),
  AUDIT("Audit"),
  NULL_SPACE_REFRESH("NullSpaceRefresh"),
  TRAIN_LORA("TrainLora"),
  FUSE_TO_TEMP("FuseToTemp"),
  VALIDATE("Validate"),
  PROMOTE("Promote"),
  REPORT("Report");

  private final String title;

  SleepStep(String title) {
    this.title = title;
  }

  public String title() {
    return title;
  }

  /** 1-based position, for "step 5/9". */
  public int number() {
    return ordinal() + 1;
  }

  public static int count() {
    return values().length;
  }
}
