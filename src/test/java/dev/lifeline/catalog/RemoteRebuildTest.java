package dev.lifeline.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.backup.Vault;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code catalog rebuild --from-remote} on a fresh machine: a real S3 server (S3Proxy) holding the mirror, no local repository. */
class RemoteRebuildTest {
    static final String ACCESS = "catalog-access-key";
    static final String SECRET = "catalog-secret-key-for-tests";
    static S3Proxy proxy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        org.gaul.s3proxy.nio2blob.TransientNio2BlobStore store = new org.gaul.s3proxy.nio2blob.TransientNio2BlobStore();
        store.createContainer("mirror");
        proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(java.net.URI.create("http://127.0.0.1:0"))
                .awsAuthentication(org.gaul.s3proxy.auth.AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .build();
        proxy.start();
        org.awaitility.Awaitility.await()
                .atMost(dev.lifeline.testing.TestTimes.scaled(Duration.ofSeconds(20)))
                .until(() -> "STARTED".equals(proxy.getState()));
        System.setProperty("aws.accessKeyId", ACCESS);
        System.setProperty("aws.secretAccessKey", SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
    }

    @Test
    void aFreshMachineRebuildsTheCatalogFromTheMirrorAloneAndFindsWhatTheOriginalFinds() throws Exception {
        TestImages images = new TestImages();
        Path src = tmp.resolve("outputs");
        BackupSpec.S3Spec s3 = new BackupSpec.S3Spec(
                Optional.of(java.net.URI.create("http://127.0.0.1:" + proxy.getPort())),
                "us-east-1",
                "mirror",
                "host-a/",
                true);
        BackupSpec spec = BackupSpec.of(tmp.resolve("repo"), List.of(src)).withS3(s3);
        images.write(
                src.resolve("a [1].png"), "a", TestImages.meta("snowy owl at night", 11, "sdxl", "ddim", "feathers"));
        images.write(src.resolve("b.png"), "b", TestImages.meta("barn owl in a barn", 12, "flux", "euler"));
        Vault v = Vault.open(spec, EventListener.NONE);
        v.backup();
        Files.delete(src.resolve("b.png"));
        images.write(src.resolve("c.png"), "c", TestImages.meta("owl and moon", 13, "sdxl", "ddim"));
        v.backup();
        assertThat(v.push().ok()).isTrue();
        String original;
        try (Catalog c = Catalog.open(spec.repository(), images)) {
            c.sync(v);
            original = Json.write(Json.toNode(c.search("owl", 10)));
        }

        Path fresh = tmp.resolve("fresh-repo");
        Vault remote = Vault.open(spec.withRepository(fresh), EventListener.NONE);
        try (Catalog c = Catalog.open(fresh, images)) {
            SyncResult r = c.rebuild(remote, true);
            assertThat(r.snapshotsAdded()).isEqualTo(2);
            assertThat(r.imagesAdded()).isEqualTo(3);
            SearchResult found = c.search("owl", 10);
            assertThat(found.hits()).hasSize(3);
            assertThat(found.hits().stream().filter(Hit::deleted).map(Hit::path))
                    .containsExactly("outputs/b.png");
            assertThat(Json.write(Json.toNode(found)).replaceAll("\"firstSeen\":\"[^\"]*\"", ""))
                    .isEqualTo(original.replaceAll("\"firstSeen\":\"[^\"]*\"", ""));
        }
        try (var files = Files.list(fresh)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("only the catalog: no restored images left behind")
                    .allMatch(n -> n.startsWith(Catalog.FILE));
        }
    }
}
