package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MarkdownTest {
  @Test
  void rendersHeaderSeparatorAndEscapedCells() {
    String t = new Markdown("a", "b").row(1, "x|y").row("z", null).toString();
    assertEquals("| a | b |\n|---|---|\n| 1 | x\\|y |\n| z |  |\n", t);
  }

  @Test
  void rowOfTheWrongWidthIsRefused() {
    Markdown m = new Markdown("a", "b");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.row(1));
    assertEquals("row has 1 cells, table has 2 columns", e.getMessage());
  }
}
