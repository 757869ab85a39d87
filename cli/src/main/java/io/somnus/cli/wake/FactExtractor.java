package io.somnus.cli.wake;

import io.somnus.engine.memory.Fact;
import java.util.List;

/** Finds (subject, relation, object) statements in what a user said. Candidates only: see {@link GroundingFirewall}. */
public interface FactExtractor {
  List<Fact> extract(String userText);
}
