package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.backup.s3.S3Bucket;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
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
        TransientNio2BlobStore store = new TransientNio2BlobStore();
        for (int i = 0; i < 8; i++) {
            store.createContainer("vault-" + i);
        }
        proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .build();
        proxy.start();
        Awaitility.await()
                .atMost(Fixtures.scaled(Duration.ofSeconds(20)))
                .until(() -> "STARTED".equals(proxy.getState()));
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
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

    static final Remote.Factory SMALL_PARTS = s -> S3Bucket.open(s, 6L << 20, 5L << 20);

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

    /** A bucket whose uploads fail after {@code okPuts} successful ones, like a dropped network. */
    static final class DroppingBucket implements Bucket {
        final Bucket real;
        final AtomicInteger budget;

        DroppingBucket(Bucket real, int okPuts) {
            this.real = real;
            this.budget = new AtomicInteger(okPuts);
        }

        @Override
        public Set<String> list(String prefix) throws IOException {
            return real.list(prefix);
        }

        @Override
        public InputStream open(String key) throws IOException {
            return real.open(key);
        }

        @Override
        public void put(String key, Path file) throws IOException {
            if (budget.decrementAndGet() < 0) {
                throw new IOException("connection reset");
            }
            real.put(key, file);
        }

        @Override
        public void put(String key, byte[] data) throws IOException {
            real.put(key, data);
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

    @Test
    void anInterruptedUploadIsResumedAndNoManifestPrecedesItsObjects() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 6, 2);
        BackupSpec spec = spec(tmp.resolve("repo"), src);
        vault(spec, Remote.Factory.S3).backup();

        PushResult broken =
                vault(spec, s -> new DroppingBucket(S3Bucket.open(s), 3)).push();
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
}
