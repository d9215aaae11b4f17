package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.Event;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code status}, the dashboard and {@code /metrics} say about a watched vault: the newest
 * snapshot (whoever cut it), the lag of the newest output, the last upload and the failed ones —
 * a real watcher on real folders, a real S3 server on loopback, and one that is not there.
 */
class VaultWatcherFactsTest {
    static S3Proxy proxy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        proxy = Fixtures.s3("facts");
        System.setProperty("aws.accessKeyId", S3MirrorTest.ACCESS);
        System.setProperty("aws.secretAccessKey", S3MirrorTest.SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
    }

    Path src() {
        return tmp.resolve("outputs");
    }

    BackupSpec spec(Duration schedule) {
        return Fixtures.spec(tmp.resolve("repo"), src())
                .withSchedule(schedule, new BackupSpec.WatchSpec(Duration.ofMillis(100), Duration.ofMinutes(10)))
                .withRetention(new BackupSpec.Retention(0, 24, 14, 0, 0));
    }

    @Test
    void factsNameTheNewestSnapshotWhoeverCutItAndTheLagOfTheNewestOutput() throws Exception {
        Files.createDirectories(src());
        VaultWatcherTest.Stored rec = new VaultWatcherTest.Stored();
        Vault v = Fixtures.vault(spec(Duration.ofHours(1)), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            BackupFacts none = w.facts();
            assertThat(none.lastSnapshotId()).isEmpty();
            assertThat(none.lagSeconds()).as("nothing stored yet").isEmpty();
            assertThat(none.retention()).isEqualTo("hourly 24, daily 14");
            assertThat(none.remote()).isEmpty();

            Path f = Fixtures.write(src().resolve("a.bin"), Fixtures.random(1000, 1));
            long mtime = Files.getLastModifiedTime(f).toMillis();
            await().atMost(Fixtures.scaled(Duration.ofSeconds(5))).until(() -> rec.paths.contains("outputs/a.bin"));
            double lag = (rec.at.get("outputs/a.bin") - mtime) / 1000.0;
            BackupFacts stored = w.facts();
            assertThat(stored.lagSeconds())
                    .as("write → durable of the newest output")
                    .hasValue(lag);
            assertThat(lag).isBetween(0.1, 3.0); // at least the quiet time
            assertThat(stored.lastStoredAt()).isPresent();

            // an old file stored later is not the newest output: the lag stays the newest one's
            Path old = Fixtures.write(src().resolve("old.bin"), Fixtures.random(1000, 2));
            Files.setLastModifiedTime(old, FileTime.from(Instant.now().minusSeconds(3600)));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(5))).until(() -> rec.paths.contains("outputs/old.bin"));
            assertThat(w.facts().lagSeconds()).hasValue(lag);

            // a snapshot cut by 'lifeline backup now' (not the watcher) is the last one at once
            BackupResult r = v.backup();
            assertThat(w.facts().lastSnapshotId()).hasValue(r.snapshot());
            assertThat(w.facts().lastSnapshotAt().orElseThrow())
                    .isBetween(Instant.now().minusSeconds(5), Instant.now().plusSeconds(1));
            Fixtures.write(src().resolve("b.bin"), Fixtures.random(1000, 3));
            await().atMost(Fixtures.scaled(Duration.ofSeconds(5))).until(() -> rec.paths.contains("outputs/b.bin"));
            BackupResult second = v.backup();
            assertThat(second.snapshot()).isNotEqualTo(r.snapshot());
            assertThat(w.facts().lastSnapshotId()).hasValue(second.snapshot());
        }
    }

    @Test
    void aCompleteUploadSetsTheLastPushAndAnUnreachableMirrorCountsFailures() throws Exception {
        Fixtures.write(src().resolve("a.png"), Fixtures.png(16, 1));
        BackupSpec.S3Spec good =
                new BackupSpec.S3Spec(Optional.of(Fixtures.endpoint(proxy)), "us-east-1", "facts", "host-a/", true);
        VaultWatcherTest.Stored rec = new VaultWatcherTest.Stored();
        Vault v = Fixtures.vault(spec(Duration.ofSeconds(1)).withS3(good), rec);
        try (VaultWatcher w = VaultWatcher.start(v, rec)) {
            assertThat(w.facts().remote()).isEqualTo("s3://facts/host-a/ at http://127.0.0.1:" + proxy.getPort());
            await().atMost(Fixtures.scaled(Duration.ofSeconds(20)))
                    .until(() -> w.facts().lastPushAt().isPresent());
            assertThat(w.facts().pushFailures()).isZero();
        }

        // nothing listens there: each scheduled push fails and is counted
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        BackupSpec.S3Spec gone = new BackupSpec.S3Spec(
                Optional.of(URI.create("http://127.0.0.1:" + closed)), "us-east-1", "facts", "host-b/", true);
        Path repo2 = tmp.resolve("repo2");
        Vault v2 =
                Fixtures.vault(spec(Duration.ofSeconds(1)).withRepository(repo2).withS3(gone), rec);
        try (VaultWatcher w = VaultWatcher.start(v2, rec)) {
            await().atMost(Fixtures.scaled(Duration.ofSeconds(60)))
                    .until(() -> w.facts().pushFailures() >= 1);
            assertThat(w.facts().lastPushAt()).isEmpty();
            assertThat(rec.events)
                    .anyMatch(e -> e.type().equals("watch-error")
                            && e.level() == Event.Level.ERROR
                            && e.message().contains("upload to the remote"));
        }
    }

    @Test
    void whileStoringFailsTheLagGrowsAndFallsBackOnceItWorks() {
        WatchFacts f = new WatchFacts();
        LatestSnapshot.Found none = LatestSnapshot.Found.NONE;
        long t = 1_000_000_000_000L;
        f.stored((t - 200) * 1_000_000, t);
        assertThat(f.facts(none, t, "", "").lagSeconds()).hasValue(0.2);
        f.storeFailed(t + 1000);
        f.storeFailed(t + 2000); // the clock runs from the first failure
        assertThat(f.facts(none, t + 6000, "", "").lagSeconds()).hasValue(5.0);
        f.storeWorks();
        assertThat(f.facts(none, t + 7000, "", "").lagSeconds()).hasValue(0.2);
    }
}
