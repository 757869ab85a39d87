// Prints somnus-tiny held-out facts FROM (inclusive) to TO (exclusive), one statement a line:
//   java -cp "$(cat cli/target/classpath.txt):cli/target/classes" evaluation/results/20261207-cli-40-facts/HeldOut.java 200 240
import io.somnus.engine.tiny.SomnusTiny;
import io.somnus.engine.tiny.WorldFact;
import java.util.List;
public class HeldOut {
  public static void main(String[] a) {
    List<WorldFact> h = SomnusTiny.Variant.DEFAULT.world().heldOutFacts();
    System.err.println("held-out facts: " + h.size());
    int from = Integer.parseInt(a[0]), to = Integer.parseInt(a[1]);
    for (WorldFact w : h.subList(from, to)) System.out.println(w.fact().sentence());
  }
}
