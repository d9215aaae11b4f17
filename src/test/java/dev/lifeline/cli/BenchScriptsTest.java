package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.TestTimes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark scripts find the shared anchors at ../shared/bench next to the project, and nowhere else. */
class BenchScriptsTest {
    private static final Path BENCH = Path.of("bench");

    static List<Path> scripts() throws Exception {
        try (Stream<Path> s = Files.list(BENCH)) {
            return s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
        }
    }

    @Test
    void noScriptNamesAPathOfOneMachine() throws Exception {
        assertThat(scripts())
                .extracting(p -> p.getFileName().toString())
                .contains("backup.sh", "supervisor.sh", "tunnel.sh");
        for (Path p : scripts()) {
            String text = Files.readString(p);
            assertThat(text).as(p + " names an absolute path of one machine").doesNotContain("/work/");
            assertThat(text).as(p + " looks outside ../shared").doesNotContain("../../shared");
        }
    }

    @Test
    void withoutSharedNextToTheProjectEachScriptStopsAtOnceAndSaysWhere(@TempDir Path tmp) throws Exception {
        noScriptNamesAPathOfOneMachine(); // never run a script that could fall back to a real machine's files
        Path project = Files.createDirectories(tmp.resolve("project/bench"));
        for (Path p : scripts()) {
            Path copy = Files.copy(p, project.resolve(p.getFileName()));
            Path out = tmp.resolve(p.getFileName() + ".out");
            ProcessBuilder pb = new ProcessBuilder("bash", copy.toString())
                    .directory(tmp.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            pb.environment().remove("SHARED_BENCH");
            pb.environment().put("TMPDIR", tmp.toString());
            Process proc = pb.start();
            assertThat(proc.waitFor(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS))
                    .as(p + " stops")
                    .isTrue();
            String said = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(proc.exitValue()).as(p + ": " + said).isEqualTo(2);
            assertThat(said)
                    .as(p.toString())
                    .contains(tmp.resolve("project") + "/../shared/bench not found")
                    .contains("set SHARED_BENCH");
        }
    }
}
