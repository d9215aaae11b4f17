package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code doctor} says what the daemon's vault watcher has not protected yet, why, and the fix: a
 * real daemon, a real file in the outputs, the repository on a real 1 MiB tmpfs (a full disk
 * stops root as it stops anyone; an unreadable file would not, root reads a 0000 file).
 */
class DoctorUnprotectedTest {
    @TempDir
    Path tmp;

    DaemonCli cli;

    @BeforeEach
    void setUp() throws Exception {
        cli = new DaemonCli(tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        cli.close();
    }

    @Test
    void doctorWarnsOfFilesTheDaemonCouldNotStoreWithTheCountWhyAndTheFix() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("small"));
        Assumptions.assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString()) == 0,
                "needs root to mount a tmpfs");
        try {
            Path outputs = Files.createDirectories(tmp.resolve("outputs"));
            Path repo = mnt.resolve("repo");
            Path app = cli.project(
                    "app",
                    "services:\n  web:\n    command: " + sh("exec sleep 1000") + "\n    outputs: " + outputs
                            + "\nbackup:\n  repository: " + repo + "\n");
            DaemonCli.Result up = cli.run(app, "up");
            assertThat(up.exit()).as(up.toString()).isZero();
            Duration within = TestTimes.scaled(Duration.ofSeconds(15));
            await().atMost(within).until(() -> cli.run(app, "doctor").out().contains("every file seen"));
            assertThat(line(cli.run(app, "doctor").out(), "backup"))
                    .startsWith("OK")
                    .contains(repo + ": every file seen in the outputs is stored");

            // the disk fills up: a 2 MiB image cannot be stored
            Files.write(outputs.resolve("big.png"), new byte[2 * 1024 * 1024]);
            await().atMost(within).until(() -> cli.run(app, "doctor").out().contains("NOT protected yet"));
            DaemonCli.Result doctor = cli.run(app, "doctor");
            assertThat(line(doctor.out(), "backup"))
                    .as(doctor.toString())
                    .startsWith("WARN")
                    .contains(repo + ": 1 file NOT protected yet")
                    .contains("No space left on device")
                    .contains("Fix: free space on the disk holding " + repo);
            JsonNode json =
                    new ObjectMapper().readTree(cli.run(app, "doctor", "--json").out());
            assertThat(json)
                    .filteredOn(c -> c.path("check").asText().equals("backup"))
                    .singleElement()
                    .satisfies(c -> assertThat(c.path("status").asText()).isEqualTo("WARN"));

            // room again (the image is replaced by a small one): stored, and doctor says so
            Files.write(outputs.resolve("big.png"), new byte[1024]);
            await().atMost(within)
                    .until(() -> line(cli.run(app, "doctor").out(), "backup").startsWith("OK"));
        } finally {
            cli.run(tmp, "down", "--all");
            run("umount", "-l", mnt.toString());
        }
    }

    @Test
    void withoutADaemonDoctorHasNoBackupCheckAndStartsNone() throws Exception {
        Path app = cli.project(
                "app", "backup:\n  repository: " + tmp.resolve("repo") + "\n  sources: [" + tmp + "/outputs]\n");
        DaemonCli.Result doctor = cli.run(app, "doctor");
        assertThat(doctor.out())
                .as(doctor.toString())
                .doesNotContain(" backup ")
                .contains("daemon");
        assertThat(cli.home.resolve("lifeline.sock")).doesNotExist();
    }

    /** The first line of doctor's text output for {@code check}. */
    static String line(String out, String check) {
        return out.lines()
                .filter(l -> l.matches("\\S+\\s+" + check + "\\s.*"))
                .findFirst()
                .orElse("");
    }

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
