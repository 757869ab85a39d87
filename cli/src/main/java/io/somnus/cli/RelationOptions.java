package io.somnus.cli;

import io.somnus.cli.wake.FactClassifier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import picocli.CommandLine.Option;

/** Which relations hold one value per subject, so that a new value is an UPDATE rather than one more: shared by the wake commands. */
final class RelationOptions {
  @Option(names = "--single-valued", split = ",", paramLabel = "RELATION", description = {
      "Relations whose subject holds one value at a time (a new value replaces the old one), e.g. \"lives in,works as\".",
      "Default: as somnus-tiny's world declares them (lives in, works as, works at, was born in, supports);",
      "every other relation takes several values (hobbies, languages). Set it for a Hugging Face model."})
  List<String> singleValued = new ArrayList<>();

  FactClassifier classifier() {
    if (singleValued.isEmpty()) return FactClassifier.forSyntheticWorld();
    List<String> phrases = singleValued.stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
    if (phrases.isEmpty()) throw new IllegalArgumentException("--single-valued names no relation; give phrases like \"lives in,works as\"");
    return new FactClassifier(new LinkedHashSet<>(phrases), FactClassifier.DEFAULT_CONFIDENCE);
  }
}
