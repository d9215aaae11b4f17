package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.backup.s3.S3Bucket;
import dev.lifeline.config.BackupSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar holds only part of Bouncy Castle (pom.xml): an encrypted push and a restore from
 * the bucket, run by the real jar, prove that part is enough for Argon2id. The push runs with the
 * daemon's heap (-Xmx128m), as the watcher's pushes do.
 */
class EncryptedMirrorIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static S3Proxy proxy;
    static URI endpoint;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        proxy = Fixtures.s3("vault-it");
        endpoint = Fixtures.endpoint(proxy);
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
    }

    record Run(int exit, String out, String err) {}

    Run lifeline(List<String> jvmFlags, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmFlags);
        argv.add("-jar");
        argv.add(System.getProperty("lifeline.jar", "target/lifeline.jar"));
        argv.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(argv)
                .directory(tmp.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LIFELINE_HOME", tmp.resolve("home").toString());
        pb.environment().put("AWS_ACCESS_KEY_ID", S3MirrorTest.ACCESS);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", S3MirrorTest.SECRET);
        pb.environment().put("LIFELINE_IT_PASSPHRASE", "correct horse battery staple");
        Process p = pb.start();
        if (!p.waitFor(Fixtures.scaled(Duration.ofSeconds(90)).toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lifeline " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void theShadedJarPushesWithArgon2idAndRestoresFromTheBucket() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 41);
        String remote = "  remote: {s3: {endpoint: \"" + endpoint + "\", bucket: vault-it, prefix: host-a/}}\n"
                + "  encryption: {passphrase-env: LIFELINE_IT_PASSPHRASE}\n";
        Path cfg = Files.writeString(
                tmp.resolve("lifeline.yaml"), "backup:\n  repository: ./repo\n  sources: [./outputs]\n" + remote);
        Path freshCfg = Files.writeString(
                tmp.resolve("fresh.yaml"), "backup:\n  repository: ./nowhere\n  sources: [./outputs]\n" + remote);
        List<String> backupFlags = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData"); // the launcher's, for backup
        List<String> daemonFlags = List.of("-XX:+UseSerialGC", "-Xms4m", "-Xmx128m", "-Xss512k", "-XX:-UsePerfData");

        Run now = lifeline(backupFlags, "-c", cfg.toString(), "backup", "now");
        assertThat(now.exit()).as(now.toString()).isZero();
        Run push = lifeline(daemonFlags, "-c", cfg.toString(), "backup", "push");
        assertThat(push.exit()).as(push.toString()).isZero();
        assertThat(push.err()).doesNotContain("NoClassDefFoundError");

        JsonNode enc;
        System.setProperty("aws.accessKeyId", S3MirrorTest.ACCESS);
        System.setProperty("aws.secretAccessKey", S3MirrorTest.SECRET);
        try (Bucket b = S3Bucket.open(
                        new BackupSpec.S3Spec(Optional.of(endpoint), "us-east-1", "vault-it", "host-a/", true));
                InputStream in = b.open("host-a/vault.json")) {
            enc = JSON.readTree(in).get("encryption");
        }
        assertThat(enc.path("kdf").asText()).isEqualTo("argon2id");

        Run restore = lifeline(
                backupFlags,
                "-c",
                freshCfg.toString(),
                "backup",
                "restore",
                "latest",
                "--from",
                "remote",
                "--to",
                tmp.resolve("back").toString());
        assertThat(restore.exit()).as(restore.toString()).isZero();
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));

        Run c1 = lifeline(
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), // the launcher's default flags
                "-c",
                freshCfg.toString(),
                "backup",
                "snapshots",
                "--json",
                "--from",
                "remote");
        assertThat(c1.exit()).as(c1.toString()).isZero();
        assertThat(JSON.readTree(c1.out())).hasSize(1);
    }
}
