package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watcher follows the outputs folder by its path, and keeps at a full disk until it is not. */
class VaultWatcherFollowTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    BackupSpec spec(Path repo) {
        // the reconciling scan is 10 minutes away: only the watcher can store what these tests write
        return Fixtures.spec(repo, src())
                .withSchedule(
                        Duration.ofHours(1), new BackupSpec.WatchSpec(Duration.ofMillis(200), Duration.ofMinutes(10)));
    }

    static final class Stored extends Fixtures.Recorder {
        final Set<String> paths = ConcurrentHashMap.newKeySet();

        @Override
        public void onEvent(Event e) {
            super.onEvent(e);
            if (e.type().equals("stored")) {
                paths.add((String) e.fields().get("path"));
            }
        }
    }

    @Test
    void anOutputsFolderRemovedAndMadeAgainIsWatchedAgainWithinASecond() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(tmp.resolve("repo")), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            assertThat(w.unprotected().files()).isZero();
            for (int round = 0; round < 5; round++) {
                Vault.deleteTree(src()); // rm -rf outputs
                if (round % 2 == 1) {
                    Files.move(Files.createDirectories(tmp.resolve("made-" + round)), src()); // a restore's rename
                } else {
                    Files.createDirectories(src()); // the app makes it again
                }
                Fixtures.write(src().resolve("img_" + round + ".png"), Fixtures.png(16, round));
                String p = "outputs/img_" + round + ".png";
                await().atMost(Fixtures.scaled(Duration.ofSeconds(1)).plusMillis(500))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> rec.paths.contains(p));
            }
        }
    }

    @Test
    void anOutputsFolderMovedAwayIsNotFollowedTheNewOneIs() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(tmp.resolve("repo")), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            assertThat(w.unprotected().reason()).isNull();
            Fixtures.write(src().resolve("before.png"), Fixtures.png(16, 2));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(5)))
                    .until(() -> rec.paths.contains("outputs/before.png"));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(5))).until(() -> w.reconcilesDone() >= 1);
            Files.move(src(), tmp.resolve("outputs.old"));
            Files.createDirectories(src());
            Fixtures.write(src().resolve("new.png"), Fixtures.png(16, 1));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(1)).plusMillis(500))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> rec.paths.contains("outputs/new.png"));
        }
    }

    /**
     * The repository on a small real file system (a tmpfs of 1 MiB): a batch of images that does
     * not fit stores what fits, the rest are reported as not protected (method and event), and
     * once there is room they are stored within seconds, without waiting for a reconciling scan.
     */
    @Test
    void aFullDiskIsRetriedWithBackoffAndReportedUntilEveryFileIsStored() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("small"));
        Assumptions.assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString()) == 0,
                "needs root to mount a tmpfs");
        try {
            Path repo = mnt.resolve("repo");
            Path ballast = mnt.resolve("ballast");
            Files.createDirectories(src());
            Stored rec = new Stored();
            Vault v = Fixtures.vault(spec(repo), rec);
            try (VaultWatcher w = VaultWatcher.start(v, rec)) {
                Fixtures.write(src().resolve("first.png"), Fixtures.png(8, 99));
                await().atMost(Fixtures.scaled(Duration.ofSeconds(5)))
                        .until(() -> rec.paths.contains("outputs/first.png"));
                Files.write(ballast, new byte[600 * 1024]); // leaves ~400 KiB
                // written aside and moved in together, so that they are stored as one batch
                Path staging = Files.createDirectories(tmp.resolve("staging"));
                for (int i = 0; i < 8; i++) {
                    Files.write(staging.resolve("img_" + i + ".png"), Fixtures.png(150 + i, i)); // ~90 KiB each
                }
                Files.move(staging, src().resolve("batch"));
                await().atMost(Fixtures.scaled(Duration.ofSeconds(10)))
                        .until(() ->
                                w.unprotected().files() > 0 && w.unprotected().reason() != null);
                assertThat(w.unprotected().reason()).contains("No space left on device");
                assertThat(rec.events)
                        .filteredOn(e -> e.type().equals("backup-pending"))
                        .anySatisfy(e -> {
                            assertThat((Integer) e.fields().get("files")).isPositive();
                            assertThat((String) e.fields().get("reason")).contains("No space left on device");
                        });
                long stored = rec.paths.stream()
                        .filter(p -> p.startsWith("outputs/batch/"))
                        .count();
                assertThat(stored).as("the batch stored what fits").isBetween(1L, 7L);

                long reconciled = rec.count("reconciled");
                Files.delete(ballast);
                await().atMost(Fixtures.scaled(Duration.ofSeconds(10)))
                        .until(() -> rec.paths.stream()
                                        .filter(p -> p.startsWith("outputs/batch/"))
                                        .count()
                                == 8);
                await().atMost(Fixtures.scaled(Duration.ofSeconds(2)))
                        .until(() -> w.unprotected().reason() == null);
                assertThat(rec.events)
                        .filteredOn(e -> e.type().equals("backup-pending"))
                        .last()
                        .satisfies(e -> assertThat(e.fields().get("files")).isEqualTo(0));
                assertThat(rec.count("reconciled"))
                        .as("no reconciling scan did it")
                        .isEqualTo(reconciled);
            }
        } finally {
            run("umount", "-l", mnt.toString());
        }
    }

    static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) {
            System.err.println(String.join(" ", cmd) + ": " + out);
        }
        return p.exitValue();
    }
}
