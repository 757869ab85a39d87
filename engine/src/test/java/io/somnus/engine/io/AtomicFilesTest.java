package io.somnus.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<Path> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void replacesTheTargetAndLeavesNoTemporaryFile() throws Exception {
    Path target = dir.resolve("a.json");
    AtomicFiles.write(target, "one");
    AtomicFiles.write(target, "two");
    assertEquals("two", Files.readString(target));
    assertEquals(List.of(target), files());
  }

  @Test
  void aWriteThatCannotHappenNamesTheTargetAndLeavesTheOldFile() throws Exception {
    Path target = dir.resolve("a.json");
    AtomicFiles.write(target, "one");
    // a directory where the file should go cannot be replaced by a rename
    Path blocked = dir.resolve("b.json");
    Files.createDirectories(blocked.resolve("inside"));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(blocked, "two"));
    assertTrue(e.getMessage().contains(blocked.toString()), e.getMessage());
    assertEquals("one", Files.readString(target));
    assertEquals(2, files().size(), "no temporary file left behind: " + files());
  }

  @Test
  void ownerOnlyFilesAreNotReadableByOthers() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    Path target = dir.resolve("keys.json");
    AtomicFiles.writeOwnerOnly(target, "secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertEquals("secret", Files.readString(target));
  }
}
