package dev.lifeline.cli;

import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} says what the daemon's vault watcher has not protected yet, and why: a real
 * daemon, a real service writing into its outputs, the repository on a real 1 MiB tmpfs.
 */
class StatusBackupTest {
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
    void statusShowsFilesTheWatcherCouldNotStoreAndWhyUntilTheyAreStored() throws Exception {
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
            await().atMost(TestTimes.scaled(java.time.Duration.ofSeconds(10)))
                    .until(() -> cli.run(app, "status").out().contains("every file seen is stored"));

            // the disk fills up: a 2 MiB image cannot be stored
            Files.write(outputs.resolve("big.png"), new byte[2 * 1024 * 1024]);
            await().atMost(TestTimes.scaled(java.time.Duration.ofSeconds(15)))
                    .until(() -> cli.run(app, "status").out().contains("NOT protected yet"));
            String out = cli.run(app, "status").out();
            assertThat(out)
                    .contains("backup " + repo + ": 1 file NOT protected yet")
                    .contains("No space left on device");

            // room again (the image is replaced by a small one): stored, and status says so
            Files.write(outputs.resolve("big.png"), new byte[1024]);
            await().atMost(TestTimes.scaled(java.time.Duration.ofSeconds(15)))
                    .until(() -> cli.run(app, "status").out().contains("every file seen is stored"));
        } finally {
            cli.run(tmp, "down", "--all");
            run("umount", "-l", mnt.toString());
        }
    }

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
