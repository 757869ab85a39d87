package io.somnus.cli;

import io.somnus.engine.model.Checkpoint;
import io.somnus.engine.tiny.ModelCard;
import io.somnus.engine.tiny.SomnusTiny;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Builds the default model when it is not cached yet (progress bar on stderr) and prints where it is, the digest of its
 * weights and its card.
 */
@Command(name = "model", description = "Build (first use) or find somnus-tiny and print its folder, weights digest and model card.")
final class ModelCommand implements Runnable {
  @Option(names = "--test", description = "The small variant the tests use (built in about a minute).")
  boolean test;

  @Override
  public void run() {
    SomnusTiny.Variant variant = test ? SomnusTiny.Variant.TEST : SomnusTiny.Variant.DEFAULT;
    Path dir = SomnusTiny.ensure(variant);
    System.out.println(dir);
    // The folder name is the recipe's fingerprint; a rebuild elsewhere can give other weights under the same name.
    System.out.println("weights sha256 " + Checkpoint.weightsDigest(dir));
    try {
      System.out.println(Files.readString(dir.resolve(ModelCard.FILE)).strip());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the model card in " + dir, e);
    }
  }
}
