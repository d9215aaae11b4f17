package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.SmallDisk;
import dev.lifeline.testing.TestTimes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} says what the daemon's vault watcher has not protected yet, and why: a real
 * daemon, a real service writing into its outputs, the repository on a real 1 MiB tmpfs.
 */
class StatusBackupTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final DaemonCli cli = DaemonCli.in(() -> tmp);

    @Test
    void statusShowsFilesTheWatcherCouldNotStoreAndWhyUntilTheyAreStored() throws Exception {
        try (SmallDisk mnt = SmallDisk.mount(tmp.resolve("small"), "1m")) {
            try {
                Path outputs = Files.createDirectories(tmp.resolve("outputs"));
                Path repo = mnt.resolve("repo");
                Path app = cli.backedUpApp(outputs, repo);
                cli.ok(app, "up");
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
                cli.run(tmp, "down", "--all"); // before the disk goes
            }
        }
    }
}
