package io.somnus.evaluation;

import java.util.ArrayList;
import java.util.List;

/** A Markdown table built row by row; cells are escaped so a '|' in a value cannot break the layout. */
public final class Markdown {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public Markdown(String... header) {
    if (header.length == 0) throw new IllegalArgumentException("a table needs at least one column");
    this.header = List.of(header);
  }

  public Markdown row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + header.size() + " columns");
    }
    List<String> r = new ArrayList<>();
    for (Object c : cells) r.add(c == null ? "" : c.toString().replace("|", "\\|").replace("\n", " "));
    rows.add(r);
    return this;
  }

  public int size() {
    return rows.size();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
    for (int i = 0; i < header.size(); i++) sb.append("---|");
    sb.append('\n');
    for (List<String> r : rows) sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    return sb.toString();
  }
}
