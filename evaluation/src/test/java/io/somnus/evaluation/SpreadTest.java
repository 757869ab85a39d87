package io.somnus.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpreadTest {
  @Test
  void sampleStandardDeviationOverSeeds() {
    Spread s = Spread.of(2, 4, 4, 4, 5, 5, 7, 9);
    assertEquals(8, s.n());
    assertEquals(5.0, s.mean(), 1e-12);
    assertEquals(Math.sqrt(32.0 / 7), s.sd(), 1e-12);
    assertEquals(2, s.min());
    assertEquals(9, s.max());
    assertEquals("5.00 ± 2.14", s.format(2));
  }

  @Test
  void nonFiniteValuesAreNotMeasurements() {
    Spread s = Spread.of(1, Double.NaN, 3);
    assertEquals(2, s.n());
    assertEquals(2.0, s.mean(), 1e-12);
  }

  @Test
  void singleRunShowsNoSpreadAndEmptyShowsDash() {
    assertEquals("0.500", Spread.of(0.5).format(3));
    assertEquals(0.0, Spread.of(0.5).sd());
    assertEquals("–", Spread.of().format(2));
    assertTrue(Double.isNaN(Spread.of().mean()));
  }
}
