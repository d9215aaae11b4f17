package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What {@code backup now} and the listings print to a person: each result once, counts and times as written. */
class BackupNowOutputTest {
    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {
        /** Both streams, as a terminal shows them. */
        String all() {
            return out + err;
        }
    }

    Run picocli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(args);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    Run fast(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Integer status = Main.fast(args, new PrintWriter(out), new PrintWriter(err));
        assertThat(status).as("the plain form takes the fast path").isNotNull();
        return new Run(status, out.toString(), err.toString());
    }

    private String config() throws Exception {
        Files.createDirectories(tmp.resolve("outputs"));
        return Files.writeString(
                        tmp.resolve("lifeline.yaml"), "backup:\n  repository: ./vault\n  sources: [./outputs]\n")
                .toString();
    }

    @Test
    void backupNowPrintsItsResultOnceOnEitherPath() throws Exception {
        String c = config();
        Files.writeString(tmp.resolve("outputs/a.png"), "one");
        Run first = fast("-c", c, "backup", "now");
        assertThat(first.status()).as(first.err()).isZero();
        String id = first.out().split("[ :]")[1];
        assertThat(first.all().split(id, -1)).as(first.all()).hasSize(2);
        assertThat(first.out().lines()).hasSize(1);

        Files.writeString(tmp.resolve("outputs/b.png"), "two");
        Run second = picocli("-c", c, "backup", "now");
        assertThat(second.status()).as(second.err()).isZero();
        String id2 = second.out().split("[ :]")[1];
        assertThat(second.all().split(id2, -1)).as(second.all()).hasSize(2);
    }

    @Test
    void countsArePluralOnlyWhenTheyAreNotOne() throws Exception {
        String c = config();
        Files.writeString(tmp.resolve("outputs/a.png"), "one");
        Run one = fast("-c", c, "backup", "now", "-q");
        assertThat(one.out()).contains(": 1 file, ").contains("1 new object (").doesNotContain("(s)");
        Run same = fast("-c", c, "backup", "now", "-q");
        assertThat(same.out()).contains("(1 file, ");

        Files.writeString(tmp.resolve("outputs/b.png"), "two");
        Run two = fast("-c", c, "backup", "now", "-q");
        assertThat(two.out()).contains(": 2 files, ").contains("1 new object (");

        Run verify = picocli("-c", c, "backup", "verify");
        assertThat(verify.out()).contains("2 snapshots, 2 objects");
        assertThat(Plural.of(0, "error")).isEqualTo("0 errors");
        assertThat(Plural.of(1, "error")).isEqualTo("1 error");
        assertThat(Plural.of(2, "error")).isEqualTo("2 errors");
    }

    @Test
    void snapshotTimesAreShownToTheSecondWithoutNanoseconds() throws Exception {
        String c = config();
        Files.writeString(tmp.resolve("outputs/a.png"), "one");
        assertThat(fast("-c", c, "backup", "now", "-q").status()).isZero();
        Run list = picocli("-c", c, "backup", "snapshots");
        assertThat(list.status()).as(list.err()).isZero();
        String row = list.out().lines().skip(1).findFirst().orElseThrow();
        assertThat(row).containsPattern(" \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ");
        assertThat(row).doesNotContainPattern(":\\d\\d\\.\\d");
    }
}
