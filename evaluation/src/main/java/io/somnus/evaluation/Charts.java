package io.somnus.evaluation;

import io.somnus.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots with XChart: line charts with error bars (mean ± sd over seeds) and grouped bar charts. */
public final class Charts {
  private static final int WIDTH = 800;
  private static final int HEIGHT = 480;

  static {
    // Plots are rendered off-screen; never try to open a display on a build machine.
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  /** One line of a line chart: x values, mean y, and the spread drawn as error bars (may be null). */
  public record Line(String name, double[] x, double[] y, double[] error) {
    public Line {
      if (x.length != y.length || (error != null && error.length != x.length)) {
        throw new IllegalArgumentException("series '" + name + "' has mismatched lengths");
      }
      if (x.length == 0) throw new IllegalArgumentException("series '" + name + "' is empty");
    }

    public static Line of(String name, List<Double> x, List<Spread> y) {
      double[] xs = x.stream().mapToDouble(Double::doubleValue).toArray();
      double[] ys = y.stream().mapToDouble(Spread::mean).toArray();
      double[] es = y.stream().mapToDouble(s -> Double.isFinite(s.sd()) ? s.sd() : 0).toArray();
      return new Line(name, xs, ys, es);
    }
  }

  /** One group of bars in a bar chart: a value (and spread) per category. */
  public record Bars(String name, List<String> categories, List<Spread> values) {}

  public static void line(Path file, String title, String xTitle, String yTitle, List<Line> lines, boolean logX) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setXAxisLogarithmic(logX);
    chart.getStyler().setMarkerSize(6);
    boolean anyError = false;
    for (Line l : lines) {
      var s = l.error() == null ? chart.addSeries(l.name(), l.x(), l.y()) : chart.addSeries(l.name(), l.x(), l.y(), l.error());
      s.setMarker(SeriesMarkers.CIRCLE);
      anyError |= l.error() != null;
    }
    if (anyError) chart.getStyler().setErrorBarsColorSeriesColor(true);
    save(chart, file);
  }

  public static void bars(Path file, String title, String yTitle, List<Bars> groups) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    for (Bars g : groups) {
      List<Double> v = g.values().stream().map(s -> Double.isFinite(s.mean()) ? s.mean() : 0.0).toList();
      List<Double> e = g.values().stream().map(s -> Double.isFinite(s.sd()) ? s.sd() : 0.0).toList();
      chart.addSeries(g.name(), g.categories(), v, e);
    }
    chart.getStyler().setErrorBarsColorSeriesColor(true);
    save(chart, file);
  }

  private static void save(Chart<?, ?> chart, Path file) {
    try {
      AtomicFiles.write(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render " + file, e);
    }
  }
}
