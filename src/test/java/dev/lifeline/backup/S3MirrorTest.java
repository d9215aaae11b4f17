package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.backup.s3.S3Bucket;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real S3 server (S3Proxy in-process on loopback). */
class S3MirrorTest {
    static final String ACCESS = "test-access-key";
    static final String SECRET = "secret-key-for-test-only";
    static S3Proxy proxy;
    static URI endpoint;
    static int bucketCounter;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        proxy = Fixtures.s3(java.util.stream.IntStream.range(0, 24)
                .mapToObj(i -> "vault-" + i)
                .toArray(String[]::new));
        endpoint = Fixtures.endpoint(proxy);
        // the SDK's default chain reads these; only tests set credentials this way
        System.setProperty("aws.accessKeyId", ACCESS);
        System.setProperty("aws.secretAccessKey", SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
    }

    BackupSpec spec(Path repo, Path src) {
        BackupSpec.S3Spec s3 = new BackupSpec.S3Spec(
                Optional.of(endpoint), "us-east-1", "vault-" + (bucketCounter++), "host-a/", true);
        return Fixtures.spec(repo, src).withS3(s3);
    }

    static Vault vault(BackupSpec spec, Remote.Factory f) {
        return new Vault(spec, EventListener.NONE, Clock.systemUTC(), ObjectStore.WriteHook.NONE, f, Map.of());
    }

    static final Remote.Factory SMALL_PARTS = (s, t) -> S3Bucket.open(s, 6L << 20, 5L << 20, t);

    @Test
    void mirrorsToTheBucketAndRestoresFromItAloneOnAFreshMachine() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 8, 1);
        Fixtures.write(src.resolve("model/big.safetensors"), Fixtures.random(13 << 20, 5)); // multipart
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        Vault v = vault(spec, SMALL_PARTS);
        v.backup();
        PushResult first = v.push();
        assertThat(first.ok()).as(first.failures().toString()).isTrue();
        assertThat(first.objectsUploaded()).isEqualTo(9);
        assertThat(first.snapshotsUploaded()).isEqualTo(1);

        Fixtures.write(src.resolve("later.png"), Fixtures.png(16, 77));
        v.backup();
        PushResult second = v.push();
        assertThat(second.objectsUploaded()).as("only the new object goes up").isEqualTo(1);
        assertThat(second.objectsPresent()).isEqualTo(9);

        // a fresh machine: same config, no local repository at all
        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), SMALL_PARTS);
        assertThat(fresh.remoteSnapshots()).hasSize(2);
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
        assertThat(tmp.resolve("nowhere")).doesNotExist();
    }

    /** Passes every call to {@code real}; a test bucket overrides what it changes. */
    abstract static class ForwardingBucket implements Bucket {
        final Bucket real;

        ForwardingBucket(Bucket real) {
            this.real = real;
        }

        @Override
        public Map<String, Bucket.Entry> listing(String prefix) throws IOException {
            return real.listing(prefix);
        }

        @Override
        public InputStream open(String key) throws IOException {
            return real.open(key);
        }

        @Override
        public void put(String key, Path file) throws IOException {
            real.put(key, file);
        }

        @Override
        public void put(String key, byte[] data) throws IOException {
            real.put(key, data);
        }

        @Override
        public void delete(String key) throws IOException {
            real.delete(key);
        }

        @Override
        public String describe() {
            return real.describe();
        }

        @Override
        public void close() {
            real.close();
        }
    }

    /**
     * A bucket whose uploads fail after {@code okPuts} successful ones and whose deletes fail after
     * {@code okDeletes}, like a dropped network.
     */
    static final class DroppingBucket extends ForwardingBucket {
        final AtomicInteger budget;
        final AtomicInteger deleteBudget;

        DroppingBucket(Bucket real, int okPuts) {
            this(real, okPuts, Integer.MAX_VALUE);
        }

        DroppingBucket(Bucket real, int okPuts, int okDeletes) {
            super(real);
            this.budget = new AtomicInteger(okPuts);
            this.deleteBudget = new AtomicInteger(okDeletes);
        }

        @Override
        public void delete(String key) throws IOException {
            if (deleteBudget.decrementAndGet() < 0) {
                throw new IOException("connection reset");
            }
            real.delete(key);
        }

        @Override
        public void put(String key, Path file) throws IOException {
            if (budget.decrementAndGet() < 0) {
                throw new IOException("connection reset");
            }
            real.put(key, file);
        }
    }

    @Test
    void anInterruptedUploadIsResumedAndNoManifestPrecedesItsObjects() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 6, 2);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        vault(spec, Remote.Factory.S3).backup();

        PushResult broken = vault(spec, (s, t) -> new DroppingBucket(S3Bucket.open(s, t), 3))
                .push();
        assertThat(broken.ok()).isFalse();
        assertThat(broken.objectsUploaded()).isEqualTo(3);
        assertThat(broken.snapshotsUploaded()).isZero();
        assertThat(String.join("\n", broken.failures()))
                .contains("connection reset")
                .doesNotContain(SECRET);
        Vault fresh = vault(spec.withRepository(tmp.resolve("elsewhere")), Remote.Factory.S3);
        assertThat(fresh.remoteSnapshots())
                .as("no manifest before all its objects")
                .isEmpty();

        PushResult resumed = vault(spec, Remote.Factory.S3).push();
        assertThat(resumed.ok()).isTrue();
        assertThat(resumed.objectsUploaded()).isEqualTo(3);
        assertThat(resumed.objectsPresent()).isEqualTo(3);
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
    }

    /** A bucket whose manifest uploads fail {@code failures} times, like dead pooled connections, then work. */
    static final class ManifestDroppingBucket extends ForwardingBucket {
        final AtomicInteger failures;

        ManifestDroppingBucket(Bucket real, AtomicInteger failures) {
            super(real);
            this.failures = failures;
        }

        @Override
        public void put(String key, byte[] data) throws IOException {
            if (key.contains("/snapshots/") && failures.getAndDecrement() > 0) {
                throw new IOException("Error writing request body to server");
            }
            real.put(key, data);
        }
    }

    @Test
    void aManifestUploadThatFailsIsRetriedAndThenReportedNotThrown() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 2, 2);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        vault(spec, Remote.Factory.S3).backup();
        Vault remoteView = vault(spec.withRepository(tmp.resolve("elsewhere")), Remote.Factory.S3);

        // a burst of failures shorter than the retries: the push succeeds, with a warning per retry
        Fixtures.Recorder events = new Fixtures.Recorder();
        AtomicInteger burst = new AtomicInteger(2);
        PushResult retried = new Vault(
                        spec,
                        events,
                        Clock.systemUTC(),
                        ObjectStore.WriteHook.NONE,
                        (s, t) -> new ManifestDroppingBucket(S3Bucket.open(s, t), burst),
                        Map.of())
                .push();
        assertThat(retried.ok()).as(String.join("\n", retried.failures())).isTrue();
        assertThat(retried.snapshotsUploaded()).isEqualTo(1);
        assertThat(events.count("upload-retry")).isEqualTo(2);
        assertThat(remoteView.remoteSnapshots()).hasSize(1);

        // an outage that outlasts them: the push reports the snapshot as a failure and the next one resumes
        Fixtures.write(src.resolve("late.png"), Fixtures.random(1000, 9));
        vault(spec, Remote.Factory.S3).backup();
        PushResult down = vault(spec, (s, t) -> new ManifestDroppingBucket(S3Bucket.open(s, t), new AtomicInteger(99)))
                .push();
        assertThat(down.ok()).isFalse();
        assertThat(down.snapshotsUploaded()).isZero();
        assertThat(String.join("\n", down.failures())).contains("snapshot ").contains("Error writing request body");
        assertThat(remoteView.remoteSnapshots()).hasSize(1);
        PushResult resumed = vault(spec, Remote.Factory.S3).push();
        assertThat(resumed.ok()).isTrue();
        assertThat(resumed.snapshotsUploaded()).isEqualTo(1);
        assertThat(remoteView.remoteSnapshots()).hasSize(2);
    }

    @Test
    void theWatcherMirrorsEachScheduledSnapshot() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 2, 4);
        BackupSpec spec = spec(tmp.resolve("repo"), src)
                .withSchedule(
                        Duration.ofSeconds(1),
                        new BackupSpec.WatchSpec(Duration.ofMillis(200), Duration.ofMinutes(10)));
        Vault v = vault(spec, Remote.Factory.S3);
        Vault remoteView = vault(spec.withRepository(tmp.resolve("elsewhere")), Remote.Factory.S3);
        try (VaultWatcher w = VaultWatcher.start(v, EventListener.NONE)) {
            Awaitility.await().atMost(Fixtures.scaled(Duration.ofSeconds(20))).until(() -> {
                try {
                    return remoteView.remoteSnapshots().size() >= 1;
                } catch (RuntimeException notYet) {
                    return false; // no vault.json before the first push
                }
            });
            assertThat(w).isNotNull();
        }
        remoteView.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
    }

    @Test
    void encryptedMirrorHidesHashesAndNeedsThePassphrase() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 3);
        BackupSpec spec = spec(tmp.resolve("repo"), src)
                .withEncryption(new BackupSpec.EncryptionSpec(Optional.empty(), Optional.of("echo correct horse")));
        Vault v = vault(spec, Remote.Factory.S3);
        v.backup();
        assertThat(v.push().ok()).isTrue();

        Set<String> keys;
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            keys = b.list("host-a/");
        }
        for (FileEntry f : v.ls("latest", "")) {
            assertThat(String.join(" ", keys)).doesNotContain(f.sha256());
        }
        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));

        BackupSpec wrong = spec.withEncryption(
                        new BackupSpec.EncryptionSpec(Optional.empty(), Optional.of("echo battery staple")))
                .withRepository(tmp.resolve("nowhere"));
        assertThatThrownBy(() -> vault(wrong, Remote.Factory.S3).remoteSnapshots())
                .hasMessageContaining("passphrase does not open");
    }

    @Test
    void deleteAllRemovesMoreThanOneRequestsWorthOfKeysAndSkipsMissingOnes() throws Exception {
        BackupSpec spec = spec(tmp.resolve("repo"), tmp.resolve("outputs"));
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            List<String> doomed = new ArrayList<>();
            for (int i = 0; i < Bucket.DELETE_BATCH + 5; i++) {
                doomed.add("batch/k" + i);
            }
            java.util.concurrent.ExecutorService uploads = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                for (Future<?> f : uploads.invokeAll(doomed.stream()
                        .map(k -> (java.util.concurrent.Callable<Void>) () -> {
                            b.put(k, new byte[] {1});
                            return null;
                        })
                        .toList())) {
                    f.get();
                }
            } finally {
                uploads.shutdownNow();
            }
            b.put("batch/keep", new byte[] {1});
            doomed.add("batch/never-there");
            b.deleteAll(doomed);
            assertThat(b.list("batch/")).containsExactly("batch/keep");
        }
    }

    /** Every file of a remote snapshot whose object is not in the bucket, read straight from the bucket. */
    static List<String> holes(BackupSpec spec) throws IOException {
        List<String> out = new ArrayList<>();
        try (Remote r = Remote.connect(spec, Remote.Factory.S3, Map.of(), false)) {
            Set<String> keys = r.bucket().list(r.objectsPrefix());
            for (Snapshot s : r.snapshots()) {
                for (FileEntry f : r.manifest(s.id()).files()) {
                    if (!keys.contains(r.objectKey(f.sha256()))) {
                        out.add(s.id() + ":" + f.path());
                    }
                }
            }
        }
        return out;
    }

    static Set<String> keys(BackupSpec spec) throws IOException {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            return b.list(spec.s3().orElseThrow().prefix());
        }
    }

    static List<String> remoteIds(Vault v) {
        return v.remoteSnapshots().stream().map(Snapshot::id).toList();
    }

    @Test
    void pruneAppliesRetentionToTheBucketAndKeepsWhatAnotherMachinePushed() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 4, 1);
        Fixtures.write(src.resolve("only-in-first.bin"), Fixtures.random(100_000, 1));
        BackupSpec spec = spec(tmp.resolve("repo"), src).withRetention(new BackupSpec.Retention(2, 0, 0, 0, 0));
        // every object here was uploaded moments ago: without grace, so the prune may delete them
        Vault v = vault(spec, Remote.Factory.S3).remotePruneGrace(Duration.ZERO);
        String a = v.backup().snapshot();
        assertThat(v.push().ok()).isTrue();
        Files.delete(src.resolve("only-in-first.bin"));
        Fixtures.write(src.resolve("second.png"), Fixtures.png(16, 2));
        String b = v.backup().snapshot();
        Fixtures.write(src.resolve("third.png"), Fixtures.png(16, 3));
        String c = v.backup().snapshot();
        assertThat(v.push().ok()).isTrue();
        // another machine pushes the newest snapshot to the same prefix
        Path other = tmp.resolve("other-outputs");
        Fixtures.outputs(other, 2, 9);
        Vault machineB = vault(
                Fixtures.spec(tmp.resolve("repo-b"), other).withS3(spec.s3().orElseThrow()), Remote.Factory.S3);
        String d = machineB.backup().snapshot();
        assertThat(machineB.push().ok()).isTrue();
        assertThat(remoteIds(v)).containsExactly(a, b, c, d);

        Set<String> before = keys(spec);
        PruneResult dry = v.prune(true);
        assertThat(keys(spec)).as("a dry run deletes nothing").isEqualTo(before);
        assertThat(dry.removed()).containsExactly(a);
        PruneResult dryRemote = dry.remote().orElseThrow();
        assertThat(dryRemote.removed()).containsExactly(a);
        assertThat(dryRemote.objectsDeleted()).isEqualTo(1);
        assertThat(dryRemote.bytesFreed()).isEqualTo(100_000);

        PruneResult localOnly = v.prune(false, true);
        assertThat(localOnly.removed()).containsExactly(a);
        assertThat(localOnly.remote()).isEmpty();
        assertThat(keys(spec)).isEqualTo(before);

        // the next prune still drops it remotely: the bucket is judged by its own history
        PruneResult r = v.prune(false);
        assertThat(r.removed()).isEmpty();
        PruneResult remote = r.remote().orElseThrow();
        assertThat(remote.removed()).containsExactly(a);
        assertThat(remote.kept()).containsExactly(b, c, d);
        assertThat(remote.objectsDeleted()).isEqualTo(1);
        assertThat(remote.bytesFreed()).isEqualTo(100_000);
        assertThat(remoteIds(v)).containsExactly(b, c, d);
        assertThat(holes(spec)).isEmpty();
        assertThat(keys(spec)).hasSize(before.size() - 2);

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        fresh.restoreFromRemote(d, List.of(), tmp.resolve("back-d"), false);
        assertThat(VaultTest.tree(tmp.resolve("back-d/other-outputs"))).isEqualTo(VaultTest.tree(other));
        fresh.restoreFromRemote(b, List.of(), tmp.resolve("back-b"), false);
        assertThat(tmp.resolve("back-b/outputs/second.png")).exists();
    }

    @Test
    void anInterruptedEncryptedRemotePruneNeverLeavesAManifestWithoutItsObjects() throws Exception {
        Path src = tmp.resolve("outputs");
        BackupSpec spec = spec(tmp.resolve("repo"), src)
                .withRetention(new BackupSpec.Retention(1, 0, 0, 0, 0))
                .withEncryption(new BackupSpec.EncryptionSpec(Optional.empty(), Optional.of("echo correct horse")));
        Vault v = vault(spec, Remote.Factory.S3);
        for (int i = 0; i < 4; i++) { // each snapshot drops two files and adds two
            Fixtures.outputs(src, 2, 100 + i);
            String previous = "img_" + (99 + i) + "_";
            if (i > 0) {
                try (var old = Files.walk(src)) {
                    for (Path p : old.filter(p -> p.getFileName().toString().startsWith(previous))
                            .toList()) {
                        Files.delete(p);
                    }
                }
            }
            v.backup();
            assertThat(v.push().ok()).isTrue();
        }
        assertThat(remoteIds(v)).hasSize(4);
        int failures = 0;
        for (int okDeletes = 0; ; okDeletes++) {
            assertThat(okDeletes).as("prune finishes once deletes stop failing").isLessThan(40);
            int budget = okDeletes;
            Vault flaky = vault(spec, (s, t) -> new DroppingBucket(S3Bucket.open(s, t), Integer.MAX_VALUE, budget))
                    .remotePruneGrace(Duration.ZERO);
            try {
                PruneResult r = flaky.prune(false);
                assertThat(r.remote()).isPresent();
                break;
            } catch (LifelineException e) {
                failures++;
                assertThat(e.getMessage()).contains("remote prune failed").contains("connection reset");
                assertThat(e.hint()).contains("run 'lifeline backup prune' again");
            }
            assertThat(holes(spec))
                    .as("after an interrupted prune (%d deletes)", budget)
                    .isEmpty();
            assertThat(remoteIds(v)).isNotEmpty();
        }
        assertThat(failures).isPositive();
        assertThat(remoteIds(v))
                .containsExactlyElementsOf(
                        v.snapshots().stream().map(Snapshot::id).toList());
        long objects = keys(spec).stream().filter(k -> k.contains("/objects/")).count();
        assertThat(objects)
                .isEqualTo(v.ls("latest", "").stream()
                        .map(FileEntry::sha256)
                        .distinct()
                        .count());
        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
    }

    @Test
    void pushKeepsToTheBandwidthCap() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.write(src.resolve("small.bin"), Fixtures.random(1 << 20, 1));
        Fixtures.write(src.resolve("large.bin"), Fixtures.random(7 << 20, 2)); // multipart with SMALL_PARTS
        BackupSpec base = spec(tmp.resolve("repo"), src);
        vault(base, SMALL_PARTS).backup();
        long cap = 4L << 20;
        BackupSpec capped = new BackupSpec(
                base.repository(),
                base.sources(),
                base.exclude(),
                base.retention(),
                base.schedule(),
                base.s3(),
                base.encryption(),
                cap,
                base.watch());
        PushResult p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                Fixtures.scaled(Duration.ofSeconds(60)),
                () -> vault(capped, SMALL_PARTS).push());
        assertThat(p.ok()).isTrue();
        assertThat(p.bytesUploaded()).isEqualTo(8L << 20);
        assertThat(p.took()).as("8 MiB at 4 MiB/s").isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        System.out.println("capped push took " + p.took());
    }

    static void putRaw(BackupSpec spec, String key, byte[] data) throws IOException {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            b.put(key, data);
        }
    }

    static void deleteRaw(BackupSpec spec, String key) throws IOException {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            b.delete(key);
        }
    }

    @Test
    void lsSnapshotsAndVerifyFromTheRemoteNameEveryAffectedFileAndSnapshot() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 4, 1);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        Vault v = vault(spec, Remote.Factory.S3);
        String first = v.backup().snapshot();
        Fixtures.write(src.resolve("new.png"), Fixtures.png(16, 5));
        String second = v.backup().snapshot();
        assertThat(v.push().ok()).isTrue();

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        assertThat(fresh.remoteSnapshots()).extracting(Snapshot::id).containsExactly(first, second);
        assertThat(fresh.remoteLs("latest", "")).isEqualTo(v.ls("latest", ""));
        assertThat(fresh.remoteLs(first, "outputs/2026-01-05")).isEqualTo(v.ls(first, "outputs/2026-01-05"));
        VerifyResult clean = fresh.verifyRemote(false, 0);
        assertThat(clean.ok()).isTrue();
        assertThat(clean.snapshots()).isEqualTo(2);
        assertThat(clean.objects()).isEqualTo(5);
        assertThat(clean.objectsRead())
                .as("nothing downloaded without --read-data")
                .isZero();
        assertThat(fresh.verifyRemote(true, 0).objectsRead()).isEqualTo(5);
        assertThat(tmp.resolve("nowhere")).doesNotExist();

        List<FileEntry> files = v.ls(first, "");
        FileEntry gone = files.get(0);
        FileEntry flipped = files.get(1);
        try (Remote r = Remote.connect(spec, Remote.Factory.S3, Map.of(), false)) {
            deleteRaw(spec, r.objectKey(gone.sha256()));
            byte[] same = Files.readAllBytes(src.resolve(flipped.path().substring("outputs/".length())));
            same[same.length / 2] ^= 1;
            putRaw(spec, r.objectKey(flipped.sha256()), same);
        }

        VerifyResult quick = fresh.verifyRemote(false, 0);
        assertThat(quick.ok()).isFalse();
        assertThat(quick.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo("missing");
            assertThat(p.sha256()).isEqualTo(gone.sha256());
            assertThat(p.affected()).containsExactly(first + ":" + gone.path(), second + ":" + gone.path());
        });
        VerifyResult full = fresh.verifyRemote(true, 0);
        assertThat(full.problems())
                .extracting(VerifyResult.Problem::kind)
                .containsExactlyInAnyOrder("missing", "corrupt");
        assertThat(full.problems())
                .filteredOn(p -> p.kind().equals("corrupt"))
                .singleElement()
                .satisfies(p -> assertThat(p.affected())
                        .containsExactly(first + ":" + flipped.path(), second + ":" + flipped.path()));
    }

    @Test
    void verifyFromAnEncryptedRemoteDecryptsAndCatchesATamperedObject() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 2);
        BackupSpec spec = spec(tmp.resolve("repo"), src)
                .withEncryption(new BackupSpec.EncryptionSpec(Optional.empty(), Optional.of("echo correct horse")));
        Vault v = vault(spec, Remote.Factory.S3);
        String id = v.backup().snapshot();
        assertThat(v.push().ok()).isTrue();
        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        VerifyResult clean = fresh.verifyRemote(true, 0);
        assertThat(clean.ok()).as(clean.problems().toString()).isTrue();
        assertThat(clean.objectsRead()).isEqualTo(3);
        assertThat(fresh.remoteLs("latest", "")).isEqualTo(v.ls("latest", ""));

        FileEntry victim = v.ls(id, "").get(2);
        try (Remote r = Remote.connect(spec, Remote.Factory.S3, Map.of(), false);
                InputStream in = r.bucket().open(r.objectKey(victim.sha256()))) {
            byte[] blob = in.readAllBytes();
            blob[blob.length - 20] ^= 1; // same size, so only reading the data finds it
            putRaw(spec, r.objectKey(victim.sha256()), blob);
        }
        assertThat(fresh.verifyRemote(false, 0).ok()).isTrue();
        VerifyResult full = fresh.verifyRemote(true, 0);
        assertThat(full.problems()).singleElement().satisfies(p -> {
            assertThat(p.sha256()).isEqualTo(victim.sha256());
            assertThat(p.detail()).contains("fails authentication");
            assertThat(p.affected()).containsExactly(id + ":" + victim.path());
        });
    }

    /** A link that drops ("connection reset") once more than {@code limit} bytes went through it. */
    static Bucket.Throttle dropsAfter(java.util.concurrent.atomic.AtomicLong sent, long limit) {
        return bytes -> {
            if (sent.addAndGet(bytes) > limit) {
                throw new java.io.UncheckedIOException(new IOException("connection reset"));
            }
        };
    }

    /** Uploads {@code file} (13 MiB: three 5 MiB parts) until the link drops inside part 2; its key. */
    static String interruptedUpload(BackupSpec.S3Spec s3, Path file) throws IOException {
        String key = s3.prefix() + "objects/big";
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        try (Bucket b = S3Bucket.open(s3, 6L << 20, 5L << 20, dropsAfter(sent, 7L << 20))) {
            assertThatThrownBy(() -> b.put(key, file)).hasMessageContaining("connection reset");
            assertThat(b.list(key)).as("nothing visible under the key").isEmpty();
        }
        return key;
    }

    @Test
    void anInterruptedMultipartUploadResumesAfterItsLastWholePart() throws Exception {
        Path file = Fixtures.write(tmp.resolve("big.bin"), Fixtures.random(13 << 20, 7));
        BackupSpec.S3Spec s3 = spec(tmp.resolve("repo"), tmp).s3().orElseThrow();
        String key = interruptedUpload(s3, file);
        java.util.concurrent.atomic.AtomicLong resumed = new java.util.concurrent.atomic.AtomicLong();
        try (Bucket b = S3Bucket.open(s3, 6L << 20, 5L << 20, resumed::addAndGet)) {
            b.put(key, file);
            assertThat(resumed.get())
                    .as("only the parts not yet uploaded go up")
                    .isEqualTo(8L << 20);
            try (InputStream in = b.open(key)) {
                assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(file));
            }
        }
    }

    @Test
    void anUploadAbandonedLongerThanTheGraceIsAbortedAndItsPartsGo() throws Exception {
        Path file = Fixtures.write(tmp.resolve("big.bin"), Fixtures.random(13 << 20, 8));
        BackupSpec.S3Spec s3 = spec(tmp.resolve("repo"), tmp).s3().orElseThrow();
        String key = interruptedUpload(s3, file);
        java.util.concurrent.atomic.AtomicLong again = new java.util.concurrent.atomic.AtomicLong();
        try (Bucket b = S3Bucket.open(s3, 6L << 20, 5L << 20, again::addAndGet)) {
            java.time.Instant now = java.time.Instant.now();
            assertThat(b.abortUploads(s3.prefix(), now.minus(Duration.ofHours(6))))
                    .as("a young upload may still be resumed")
                    .isZero();
            assertThat(b.abortUploads(s3.prefix(), now.plus(Duration.ofMinutes(1))))
                    .isEqualTo(1);
            assertThat(b.abortUploads(s3.prefix(), now.plus(Duration.ofMinutes(1))))
                    .isZero();
            b.put(key, file);
            assertThat(again.get())
                    .as("nothing left to resume: every part goes up")
                    .isEqualTo(13L << 20);
        }
    }

    @Test
    void pruneAbortsAPushsUploadInterruptedLongerAgoThanTheGrace() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.write(src.resolve("big.bin"), Fixtures.random(13 << 20, 9));
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        Bucket.Throttle dropping = dropsAfter(sent, 7L << 20);
        Vault broken = vault(spec, (s, t) -> S3Bucket.open(s, 6L << 20, 5L << 20, dropping));
        broken.backup();
        assertThat(broken.push().ok()).isFalse();
        BackupSpec.S3Spec s3 = spec.s3().orElseThrow();
        java.time.Instant later = java.time.Instant.now().plus(Duration.ofMinutes(1));

        vault(spec, Remote.Factory.S3).prune(false); // 6 h grace: the upload may yet be resumed
        try (Bucket b = S3Bucket.open(s3)) {
            assertThat(b.abortUploads(s3.prefix(), later))
                    .as("the prune kept it")
                    .isEqualTo(1);
        }
        sent.set(0);
        assertThat(broken.push().ok()).isFalse();
        vault(spec, Remote.Factory.S3).remotePruneGrace(Duration.ZERO).prune(false);
        try (Bucket b = S3Bucket.open(s3)) {
            assertThat(b.abortUploads(s3.prefix(), later))
                    .as("the prune aborted it")
                    .isZero();
        }
    }

    // ------------------------------------------------------------------ push and prune together

    static Vault vault(BackupSpec spec, EventListener events, Remote.Factory f) {
        return new Vault(spec, events, Clock.systemUTC(), ObjectStore.WriteHook.NONE, f, Map.of());
    }

    /** A push that stops between its objects and its manifests until {@code release} opens. */
    static Remote.PushHook pauseAt(CountDownLatch reached, CountDownLatch release) {
        return () -> {
            reached.countDown();
            if (!release.await(Fixtures.scaled(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the test never released the push");
            }
        };
    }

    static void drop(Path src, String namePrefix) throws IOException {
        try (var old = Files.walk(src)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith(namePrefix))
                    .toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aPruneWaitsForAPushBetweenItsObjectsAndItsManifestOrRefusesNamingIt() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 1);
        BackupSpec spec = spec(tmp.resolve("repo"), src).withRetention(new BackupSpec.Retention(1, 0, 0, 0, 0));
        String first = vault(spec, Remote.Factory.S3).backup().snapshot();
        assertThat(vault(spec, Remote.Factory.S3).push().ok()).isTrue();
        drop(src, "img_1_");
        Fixtures.outputs(src, 3, 2);
        String second = vault(spec, Remote.Factory.S3).backup().snapshot();

        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // the daemon's push; no grace for the prunes: only the lock can save the new objects
        Vault daemon = vault(spec, Remote.Factory.S3).pushHook(pauseAt(reached, release));
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<PushResult> push = threads.submit(daemon::push);
            assertThat(reached.await(Fixtures.scaled(Duration.ofSeconds(30)).toMillis(), TimeUnit.MILLISECONDS))
                    .isTrue();
            Set<String> uploaded = keys(spec);

            // a prune that will not wait long refuses, saying who holds the lock, and prunes nothing
            Vault impatient = vault(spec, Remote.Factory.S3)
                    .remotePruneGrace(Duration.ZERO)
                    .remoteLockWait(Duration.ofMillis(200));
            assertThatThrownBy(() -> impatient.prune(false))
                    .isInstanceOf(LifelineException.class)
                    .hasMessageContaining("prune did not start")
                    .hasMessageContaining("in use by another push or remote prune")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid())
                    .hasMessageContaining("for push")
                    .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("--local-only"));
            assertThat(impatient.snapshots()).extracting(Snapshot::id).containsExactly(first, second);
            assertThat(keys(spec)).isEqualTo(uploaded);

            // cron's prune waits for the lock, and runs once the push has its manifest up
            Fixtures.Recorder rec = new Fixtures.Recorder();
            Vault cron = vault(spec, rec, Remote.Factory.S3)
                    .remotePruneGrace(Duration.ZERO)
                    .remoteLockWait(Fixtures.scaled(Duration.ofSeconds(60)));
            Future<PruneResult> prune = threads.submit(() -> cron.prune(false));
            Awaitility.await().atMost(Fixtures.scaled(Duration.ofSeconds(20))).until(() -> rec.count("lock-wait") == 1);
            assertThat(rec.events.stream().filter(e -> e.type().equals("lock-wait")))
                    .singleElement()
                    .satisfies(e -> assertThat(e.message()).contains("for push"));
            assertThat(prune).isNotDone();
            assertThat(keys(spec)).as("nothing deleted while the push runs").isEqualTo(uploaded);

            release.countDown();
            PushResult pushed = push.get(Fixtures.scaled(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(pushed.ok()).as(pushed.failures().toString()).isTrue();
            assertThat(pushed.snapshotsUploaded()).isEqualTo(1);
            PruneResult pruned =
                    prune.get(Fixtures.scaled(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(pruned.removed()).containsExactly(first);
            assertThat(pruned.remote().orElseThrow().removed()).containsExactly(first);
            assertThat(pruned.remote().orElseThrow().objectsDeleted())
                    .as("the dropped snapshot's own objects")
                    .isEqualTo(3);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
        assertThat(Files.readString(tmp.resolve("repo/remote.lock")))
                .as("released cleanly")
                .isEmpty();

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        assertThat(remoteIds(fresh)).containsExactly(second);
        VerifyResult check = fresh.verifyRemote(true, 0);
        assertThat(check.ok()).as(check.problems().toString()).isTrue();
        fresh.restoreFromRemote(second, List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
    }

    static String sha256(byte[] data) throws Exception {
        return java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** A bucket whose listing says nothing of LastModified, as some S3-compatible services do. */
    static final class UndatedBucket extends ForwardingBucket {
        UndatedBucket(Bucket real) {
            super(real);
        }

        @Override
        public Map<String, Bucket.Entry> listing(String prefix) throws IOException {
            Map<String, Bucket.Entry> out = new java.util.HashMap<>();
            real.listing(prefix).forEach((k, e) -> out.put(k, new Bucket.Entry(e.size(), null)));
            return out;
        }
    }

    @Test
    void objectsAnotherMachineUploadedJustNowSurviveARemotePruneUntilTheGraceIsOver() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 2, 1);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Vault v = vault(spec, rec, Remote.Factory.S3);
        v.backup();
        assertThat(v.push().ok()).isTrue();
        // another machine's push, between its objects and its manifest
        List<String> inFlight = new ArrayList<>();
        try (Remote r = Remote.connect(spec, Remote.Factory.S3, Map.of(), false)) {
            for (int i = 0; i < 2; i++) {
                byte[] data = Fixtures.png(16, 500 + i);
                inFlight.add(r.objectKey(sha256(data)));
                putRaw(spec, inFlight.get(i), data);
            }
        }

        PruneResult remote = v.prune(false).remote().orElseThrow();
        assertThat(remote.objectsDeleted()).isZero();
        assertThat(remote.recentKept()).isEqualTo(2);
        assertThat(keys(spec)).containsAll(inFlight);
        assertThat(rec.events.stream().filter(e -> e.type().equals("pruned-remote")))
                .singleElement()
                .satisfies(e -> assertThat(e.message()).contains("kept 2 recent unreferenced object(s)", "6 h"));

        // a listing without LastModified: the age is unknown, so they stay whatever the grace
        PruneResult undated = vault(spec, (s, t) -> new UndatedBucket(S3Bucket.open(s, t)))
                .remotePruneGrace(Duration.ZERO)
                .prune(false)
                .remote()
                .orElseThrow();
        assertThat(undated.objectsDeleted()).isZero();
        assertThat(undated.recentKept()).isEqualTo(2);
        assertThat(keys(spec)).containsAll(inFlight);

        PruneResult late =
                v.remotePruneGrace(Duration.ZERO).prune(false).remote().orElseThrow();
        assertThat(late.objectsDeleted()).isEqualTo(2);
        assertThat(late.recentKept()).isZero();
        assertThat(keys(spec)).doesNotContainAnyElementsOf(inFlight);
        assertThat(holes(spec)).isEmpty();
        assertThat(vault(spec.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3)
                        .verifyRemote(true, 0)
                        .ok())
                .isTrue();
    }

    @Test
    void aPushElsewhereUploadsAgainWhatAPruneRemovedBeforeItsManifestWentUp() throws Exception {
        // machine A: its first snapshot holds a file machine B also has
        Path srcA = tmp.resolve("a/outputs");
        Fixtures.outputs(srcA, 2, 1);
        byte[] shared = Fixtures.png(20, 42);
        Fixtures.write(srcA.resolve("shared.png"), shared);
        BackupSpec specA = spec(tmp.resolve("repo-a"), srcA).withRetention(new BackupSpec.Retention(1, 0, 0, 0, 0));
        Vault a = vault(specA, Remote.Factory.S3).remotePruneGrace(Duration.ZERO); // a push older than the grace
        String a1 = a.backup().snapshot();
        assertThat(a.push().ok()).isTrue();
        Files.delete(srcA.resolve("shared.png"));
        Fixtures.write(srcA.resolve("new.png"), Fixtures.png(16, 7));
        a.backup();
        assertThat(a.push().ok()).isTrue();

        // machine B, same prefix: finds the shared object present, uploads the rest, then stalls
        Path srcB = tmp.resolve("b/outputs");
        Fixtures.outputs(srcB, 2, 9);
        Fixtures.write(srcB.resolve("shared.png"), shared);
        BackupSpec specB =
                Fixtures.spec(tmp.resolve("repo-b"), srcB).withS3(specA.s3().orElseThrow());
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Vault b = vault(specB, rec, Remote.Factory.S3).pushHook(pauseAt(reached, release));
        String b1 = b.backup().snapshot();
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try {
            Future<PushResult> push = threads.submit(b::push);
            assertThat(reached.await(Fixtures.scaled(Duration.ofSeconds(30)).toMillis(), TimeUnit.MILLISECONDS))
                    .isTrue();
            // A's prune cannot see B's manifest yet: B's objects look unreferenced and old enough
            PruneResult pruned = a.prune(false).remote().orElseThrow();
            assertThat(pruned.removed()).containsExactly(a1);
            assertThat(pruned.objectsDeleted()).isEqualTo(1 + 2); // the shared one, B's new ones

            release.countDown();
            PushResult pushed = push.get(Fixtures.scaled(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
            assertThat(pushed.ok()).as(pushed.failures().toString()).isTrue();
            assertThat(pushed.snapshotsUploaded()).isEqualTo(1);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
        assertThat(rec.count("objects-vanished")).isEqualTo(1);
        assertThat(holes(specA)).isEmpty();
        Vault fresh = vault(specA.withRepository(tmp.resolve("nowhere")), Remote.Factory.S3);
        fresh.restoreFromRemote(b1, List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(srcB));
    }

    @Test
    void aRemoteLockLeftByADeadProcessIsCleared() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 2, 3);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        Vault v = vault(spec, rec, Remote.Factory.S3).remoteLockWait(Duration.ofSeconds(1));
        v.backup();
        Path lock = tmp.resolve("repo/remote.lock");
        Files.writeString(lock, "pid 999999 started 2020-01-01T00:00:00Z for push\n");

        assertThat(v.push().ok()).isTrue();
        assertThat(rec.events.stream().filter(e -> e.type().equals("stale-lock")))
                .singleElement()
                .satisfies(e -> assertThat(e.message()).contains("remote lock", "pid 999999"));
        assertThat(Files.readString(lock)).as("released cleanly").isEmpty();
        assertThat(v.prune(false).remote()).isPresent();
        assertThat(rec.count("stale-lock")).isEqualTo(1);
        assertThat(tmp.resolve("repo/lock"))
                .as("the writer lock is another file")
                .exists();
    }
}
