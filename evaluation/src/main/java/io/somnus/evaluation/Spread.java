package io.somnus.evaluation;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Mean and spread of one measure over repeated runs (seeds). The standard deviation is the sample
 * one (n − 1); with a single run it is 0 and the report says n = 1 rather than pretending to a spread.
 */
public record Spread(int n, double mean, double sd, double min, double max) {

  public static Spread of(double... values) {
    double[] v = Arrays.stream(values).filter(Double::isFinite).toArray();
    if (v.length == 0) return new Spread(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    double mean = Arrays.stream(v).average().orElseThrow();
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    double sd = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
    return new Spread(v.length, mean, sd, Arrays.stream(v).min().orElseThrow(), Arrays.stream(v).max().orElseThrow());
  }

  public static Spread of(List<Double> values) {
    return of(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** "0.833 ± 0.041" with the given decimals; "–" when nothing was measured. */
  public String format(int decimals) {
    if (n == 0) return "–";
    String f = "%." + decimals + "f";
    return n == 1 ? String.format(Locale.ROOT, f, mean) : String.format(Locale.ROOT, f + " ± " + f, mean, sd);
  }
}
