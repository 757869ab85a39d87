package io.somnus.engine.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/** Wall time, this thread's CPU time and the process's CPU time of repeated runs, in seconds. */
record Timing(double[] wall, double[] threadCpu, double[] processCpu) {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** A moment on the three clocks. */
  record Clocks(long wallNanos, long threadNanos, long processNanos) {
    static Clocks now() {
      return new Clocks(System.nanoTime(), THREADS.getCurrentThreadCpuTime(), OS.getProcessCpuTime());
    }

    /** Seconds since this moment on each clock, divided by {@code per}. */
    double[] since(int per) {
      Clocks n = now();
      return new double[] {(n.wallNanos - wallNanos) / 1e9 / per, (n.threadNanos - threadNanos) / 1e9 / per,
          (n.processNanos - processNanos) / 1e9 / per};
    }
  }

  /** A body that either returns null (timed whole) or times itself (e.g. per decoded token). */
  interface Body {
    double[] run();
  }

  /** One warm-up run (allocation, kernel selection), then {@code reps} timed runs. */
  static Timing of(int reps, Body body) {
    body.run();
    double[][] t = new double[3][reps];
    for (int i = 0; i < reps; i++) {
      Clocks start = Clocks.now();
      double[] own = body.run();
      double[] s = own != null ? own : start.since(1);
      for (int k = 0; k < 3; k++) t[k][i] = s[k];
    }
    return new Timing(t[0], t[1], t[2]);
  }

  /** The median: the middle value, or the mean of the two middle values of an even count. */
  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** (max − min) / median: how much repetitions disagreed (a shared machine shows here). */
  static double spread(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return (s[s.length - 1] - s[0]) / median(values);
  }
}
