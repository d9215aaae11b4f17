package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeline.backup.s3.Bucket;
import dev.lifeline.backup.s3.S3Bucket;
import dev.lifeline.config.BackupSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The encrypted mirror's key derivation against a real S3 server (S3Proxy on loopback): new
 * mirrors use Argon2id, mirrors made with PBKDF2 keep their keys, an unknown KDF changes nothing.
 */
class RemoteKdfTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PASS_ENV = "LIFELINE_TEST_PASSPHRASE";
    static S3Proxy proxy;
    static URI endpoint;
    static int bucketCounter;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        proxy = Fixtures.s3(
                java.util.stream.IntStream.range(0, 6).mapToObj(i -> "kdf-" + i).toArray(String[]::new));
        endpoint = Fixtures.endpoint(proxy);
        System.setProperty("aws.accessKeyId", S3MirrorTest.ACCESS);
        System.setProperty("aws.secretAccessKey", S3MirrorTest.SECRET);
    }

    @AfterAll
    static void stopS3() throws Exception {
        proxy.stop();
    }

    BackupSpec encryptedSpec(Path repo, Path src) {
        BackupSpec.S3Spec s3 =
                new BackupSpec.S3Spec(Optional.of(endpoint), "us-east-1", "kdf-" + (bucketCounter++), "host-a/", true);
        return Fixtures.spec(repo, src)
                .withS3(s3)
                .withEncryption(new BackupSpec.EncryptionSpec(Optional.of(PASS_ENV), Optional.empty()));
    }

    static Vault vault(BackupSpec spec, String passphrase) {
        return new Vault(
                spec,
                EventListener.NONE,
                Clock.systemUTC(),
                ObjectStore.WriteHook.NONE,
                Remote.Factory.S3,
                Map.of(PASS_ENV, passphrase));
    }

    static byte[] get(BackupSpec spec, String key) throws Exception {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow());
                InputStream in = b.open(key)) {
            return in.readAllBytes();
        }
    }

    static void put(BackupSpec spec, String key, byte[] data) throws Exception {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            b.put(key, data);
        }
    }

    static Set<String> keys(BackupSpec spec) throws Exception {
        try (Bucket b = S3Bucket.open(spec.s3().orElseThrow())) {
            return b.list("host-a/");
        }
    }

    @Test
    void aNewEncryptedMirrorRecordsArgon2idAndRestoresOnAFreshMachine() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 11);
        BackupSpec spec = encryptedSpec(tmp.resolve("repo"), src);
        Vault v = vault(spec, "correct horse");
        v.backup();
        assertThat(v.push().ok()).isTrue();

        JsonNode enc = JSON.readTree(get(spec, "host-a/vault.json")).get("encryption");
        assertThat(enc.path("cipher").asText()).isEqualTo("AES-256-GCM");
        assertThat(enc.path("kdf").asText()).isEqualTo("argon2id");
        assertThat(enc.path("m").asInt()).isEqualTo(64 * 1024);
        assertThat(enc.path("t").asInt()).isEqualTo(3);
        assertThat(enc.path("p").asInt()).isEqualTo(1);
        assertThat(enc.path("salt").asText()).matches("[0-9a-f]{64}");
        assertThat(enc.path("check").asText()).matches("[0-9a-f]{64}");
        assertThat(enc.has("iterations")).isFalse();

        Fixtures.write(src.resolve("later.png"), Fixtures.png(16, 12));
        v.backup();
        PushResult second = v.push();
        assertThat(second.ok()).isTrue();
        assertThat(second.objectsUploaded())
                .as("the second push reopens the same keys")
                .isEqualTo(1);
        assertThat(JSON.readTree(get(spec, "host-a/vault.json")).get("encryption"))
                .isEqualTo(enc);

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), "correct horse");
        assertThat(fresh.remoteSnapshots()).hasSize(2);
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
        assertThat(tmp.resolve("nowhere")).doesNotExist();
    }

    @Test
    void aMirrorMadeWithPbkdf2KeepsItsKeysAndIsNeverReKeyed() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 3, 21);
        BackupSpec spec = encryptedSpec(tmp.resolve("repo"), src);
        // vault.json exactly as Lifeline wrote it before Argon2id, keys computed with the JDK alone
        byte[] salt = new byte[32];
        Arrays.fill(salt, (byte) 0x5a);
        byte[] keys = CryptoTest.oldPbkdf2Keys("correct horse", salt, 600_000);
        byte[] marker = JSON.writeValueAsBytes(JSON.createObjectNode()
                .put("format", "lifeline-vault/1")
                .set(
                        "encryption",
                        JSON.createObjectNode()
                                .put("cipher", "AES-256-GCM")
                                .put("kdf", "PBKDF2-HMAC-SHA256")
                                .put("iterations", 600_000)
                                .put("salt", HexFormat.of().formatHex(salt))
                                .put("check", CryptoTest.hmacHex(keys, "lifeline-vault-key-check"))));
        put(spec, "host-a/vault.json", marker);

        Vault v = vault(spec, "correct horse");
        v.backup();
        assertThat(v.push().ok()).isTrue();
        assertThat(JSON.readTree(get(spec, "host-a/vault.json")))
                .as("the parameters stay PBKDF2, with the same salt")
                .isEqualTo(JSON.readTree(marker));

        // objects are named and encrypted with the PBKDF2 keys
        Set<String> inBucket = keys(spec);
        for (FileEntry f : v.ls("latest", "")) {
            String name = CryptoTest.hmacHex(keys, f.sha256());
            String key = "host-a/objects/" + name.substring(0, 2) + "/" + name;
            assertThat(inBucket).contains(key);
            byte[] blob = get(spec, key);
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(
                    Cipher.DECRYPT_MODE, new SecretKeySpec(keys, 0, 32, "AES"), new GCMParameterSpec(128, blob, 4, 12));
            aes.updateAAD("LLV1".getBytes(StandardCharsets.US_ASCII));
            assertThat(HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256")
                                    .digest(aes.doFinal(blob, 16, blob.length - 16))))
                    .isEqualTo(f.sha256());
        }

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), "correct horse");
        fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false);
        assertThat(VaultTest.tree(tmp.resolve("back/outputs"))).isEqualTo(VaultTest.tree(src));
        assertThatThrownBy(() -> vault(spec.withRepository(tmp.resolve("nowhere")), "battery staple")
                        .remoteSnapshots())
                .hasMessageContaining("passphrase does not open");
    }

    @Test
    void anUnknownKdfIsRefusedAndTheBucketIsLeftAsItWas() throws Exception {
        Path src = tmp.resolve("outputs");
        Fixtures.outputs(src, 2, 31);
        BackupSpec spec = encryptedSpec(tmp.resolve("repo"), src);
        byte[] marker = ("{\"format\":\"lifeline-vault/1\",\"encryption\":{\"cipher\":\"AES-256-GCM\","
                        + "\"kdf\":\"scrypt\",\"N\":32768,\"r\":8,\"p\":1,\"salt\":\"" + "ab".repeat(32)
                        + "\",\"check\":\"" + "00".repeat(32) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        put(spec, "host-a/vault.json", marker);

        Vault v = vault(spec, "correct horse");
        v.backup();
        assertThatThrownBy(v::push)
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("names the key derivation function \"scrypt\"")
                .hasMessageContaining("this Lifeline does not know")
                .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("nothing was changed"));
        assertThat(keys(spec)).containsExactly("host-a/vault.json");
        assertThat(get(spec, "host-a/vault.json")).isEqualTo(marker);

        Vault fresh = vault(spec.withRepository(tmp.resolve("nowhere")), "correct horse");
        assertThatThrownBy(() -> fresh.restoreFromRemote("latest", List.of(), tmp.resolve("back"), false))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("\"scrypt\"");
        assertThat(tmp.resolve("back")).doesNotExist();
        assertThat(get(spec, "host-a/vault.json")).isEqualTo(marker);
    }
}
