package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.Event;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultWatcherTest {
    @TempDir
    Path tmp;

    Path src() {
        return tmp.resolve("outputs");
    }

    BackupSpec spec(Duration quiet, Duration schedule) {
        return Fixtures.spec(tmp.resolve("repo"), src())
                .withSchedule(schedule, new BackupSpec.WatchSpec(quiet, Duration.ofMinutes(10)));
    }

    static final class Stored extends Fixtures.Recorder {
        final Set<String> paths = ConcurrentHashMap.newKeySet();
        final java.util.Map<String, Long> at = new ConcurrentHashMap<>();

        @Override
        public void onEvent(Event e) {
            super.onEvent(e);
            if (e.type().equals("stored")) {
                paths.add((String) e.fields().get("path"));
                at.put((String) e.fields().get("path"), (Long) e.fields().get("durableAtMillis"));
            }
        }
    }

    @Test
    void aPngIsStoredAsSoonAsItsIendChunkIsWrittenNotBefore() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(Duration.ofSeconds(30), Duration.ofHours(1)), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            byte[] png = Fixtures.png(64, 1);
            Path f = src().resolve("gen/out_0001.png");
            Files.createDirectories(f.getParent());
            long end;
            try (OutputStream out = Files.newOutputStream(f)) {
                out.write(Arrays.copyOf(png, png.length / 2));
                out.flush();
                await().during(Fixtures.scaled(Duration.ofMillis(400)))
                        .atMost(Fixtures.scaled(Duration.ofSeconds(2)))
                        .until(() -> !rec.paths.contains("outputs/gen/out_0001.png"));
                out.write(png, png.length / 2, png.length - png.length / 2);
                end = System.currentTimeMillis();
            }
            await().atMost(Fixtures.scaled(Duration.ofSeconds(2)))
                    .until(() -> rec.paths.contains("outputs/gen/out_0001.png"));
            assertThat(rec.at.get("outputs/gen/out_0001.png") - end)
                    .as("ms from IEND to durable")
                    .isLessThan(1000);
            assertThat(w).isNotNull();
        }
        assertThat(v.repository().journal().read()).extracting(FileEntry::path).contains("outputs/gen/out_0001.png");
    }

    @Test
    void aNewSymbolicLinkIsStoredAsALinkWithoutWaitingForTheNextScan() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(Duration.ofSeconds(30), Duration.ofHours(1)), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            Files.createSymbolicLink(src().resolve("latest.png"), Path.of("gen/out_0001.png"));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(2)))
                    .until(() -> rec.paths.contains("outputs/latest.png"));
            assertThat(w).isNotNull();
        }
        assertThat(v.repository().journal().read())
                .filteredOn(e -> e.path().equals("outputs/latest.png"))
                .singleElement()
                .satisfies(e -> assertThat(e.link()).isEqualTo("gen/out_0001.png"));
    }

    @Test
    void otherFilesAreStoredOnceQuietAndDeletionsNeverReachTheVault() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(Duration.ofMillis(300), Duration.ofHours(1)), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            Fixtures.write(src().resolve("notes.txt"), "a prompt".getBytes());
            await().atMost(Fixtures.scaled(Duration.ofSeconds(3))).until(() -> rec.paths.contains("outputs/notes.txt"));
            Files.delete(src().resolve("notes.txt"));
            assertThat(w).isNotNull();
        }
        BackupResult snap = v.backup();
        assertThat(v.ls(snap.snapshot(), "")).extracting(FileEntry::path).contains("outputs/notes.txt");
    }

    @Test
    void aBurstOf5000FilesIsAllStoredWhileWatching() throws Exception {
        Files.createDirectories(src());
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(Duration.ofMillis(200), Duration.ofHours(1)), rec);
        int n = 5000;
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            for (int i = 0; i < n; i++) {
                // new folders appear during the burst, as date folders do
                Fixtures.write(src().resolve("d" + (i / 500) + "/f" + i + ".bin"), Fixtures.random(700, i));
            }
            await().atMost(Fixtures.scaled(Duration.ofSeconds(30)))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> v.repository().journal().read().stream()
                                    .map(FileEntry::path)
                                    .distinct()
                                    .count()
                            == n);
            assertThat(w).isNotNull();
        }
        BackupResult r = v.backup();
        assertThat(r.hashed())
                .as("the watcher stored everything: the snapshot reads nothing again")
                .isZero();
        assertThat(r.files()).isEqualTo(n);
        assertThat(v.verify(false, 0).ok()).isTrue();
    }

    @Test
    void snapshotsAreCutOnScheduleAndCloseStopsEveryThread() throws Exception {
        Fixtures.outputs(src(), 3, 9);
        Stored rec = new Stored();
        Vault v = Fixtures.vault(spec(Duration.ofMillis(200), Duration.ofSeconds(1)), rec);
        VaultWatcher w = VaultWatcher.start(v, rec);
        await().atMost(Fixtures.scaled(Duration.ofSeconds(10))).until(() -> rec.count("snapshot") >= 1);
        Fixtures.write(src().resolve("more.png"), Fixtures.png(8, 3));
        await().atMost(Fixtures.scaled(Duration.ofSeconds(10))).until(() -> rec.count("snapshot") >= 2);
        assertThat(v.snapshots().get(v.snapshots().size() - 1).files()).isEqualTo(4);
        w.close();
        w.close(); // twice is fine
        await().atMost(Fixtures.scaled(Duration.ofSeconds(5)))
                .until(() -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("lifeline-vault-") && t.isAlive()));
    }
}
