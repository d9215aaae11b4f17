package dev.lifeline.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.core.LifelineException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The vault key derivation: Argon2id for new vaults, PBKDF2 for those made before. */
class CryptoTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    static byte[] filled(int n, int b) {
        byte[] a = new byte[n];
        Arrays.fill(a, (byte) b);
        return a;
    }

    @Test
    void argon2idMatchesTheRfc9106TestVector() {
        // RFC 9106 section 5.3: Argon2id, version 0x13, m=32 KiB, t=3, p=4, 32-byte tag
        byte[] tag = Crypto.argon2id(filled(32, 1), filled(16, 2), filled(8, 3), filled(12, 4), 32, 3, 4, 32);
        assertThat(HEX.formatHex(tag)).isEqualTo("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    @Test
    void argon2idIsDeterministicAndEverySaltAndParameterCounts() {
        byte[] pw = "correct horse".getBytes(StandardCharsets.UTF_8);
        byte[] salt = filled(16, 7);
        byte[] a = Crypto.argon2id(pw, salt, null, null, 64, 2, 1, 64);
        assertThat(Crypto.argon2id(pw, salt, null, null, 64, 2, 1, 64)).isEqualTo(a);
        assertThat(Crypto.argon2id(pw, filled(16, 8), null, null, 64, 2, 1, 64)).isNotEqualTo(a);
        assertThat(Crypto.argon2id(pw, salt, null, null, 128, 2, 1, 64)).isNotEqualTo(a);
        assertThat(Crypto.argon2id(pw, salt, null, null, 64, 3, 1, 64)).isNotEqualTo(a);
        assertThat(Crypto.argon2id(pw, salt, null, null, 64, 2, 2, 64)).isNotEqualTo(a);
    }

    @Test
    void aNewVaultRecordsArgon2idAndReopensWithTheSameKeys() {
        ObjectNode enc = JSON.createObjectNode().put("cipher", Crypto.CIPHER);
        char[] pass = "correct horse".toCharArray();
        Crypto made = Crypto.create(pass, enc);
        assertThat(pass).as("the passphrase is cleared").containsOnly('\0');

        assertThat(enc.path("kdf").asText()).isEqualTo("argon2id");
        assertThat(enc.path("m").asInt()).isEqualTo(65536);
        assertThat(enc.path("t").asInt()).isEqualTo(3);
        assertThat(enc.path("p").asInt()).isEqualTo(1);
        assertThat(enc.path("salt").asText()).matches("[0-9a-f]{64}");
        assertThat(enc.has("iterations")).isFalse();

        Crypto reopened = Crypto.open("correct horse".toCharArray(), enc, "test");
        assertThat(reopened.check()).isEqualTo(made.check());
        assertThat(reopened.name("ab".repeat(32))).isEqualTo(made.name("ab".repeat(32)));
        assertThat(Crypto.open("battery staple".toCharArray(), enc, "test").check())
                .isNotEqualTo(made.check());
        char[] again = "correct horse".toCharArray();
        assertThat(Crypto.open(again, enc, "test"))
                .as("the daemon opens the remote for every push: derived once per process")
                .isSameAs(reopened);
        assertThat(again).as("the passphrase is cleared").containsOnly('\0');

        ObjectNode other = JSON.createObjectNode();
        Crypto second = Crypto.create("correct horse".toCharArray(), other);
        assertThat(other.path("salt").asText()).isNotEqualTo(enc.path("salt").asText());
        assertThat(second.check()).as("another salt, another key").isNotEqualTo(made.check());
    }

    /** The key an earlier Lifeline derived, computed here with the JDK alone. */
    static byte[] oldPbkdf2Keys(String pass, byte[] salt, int iterations) throws Exception {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(pass.toCharArray(), salt, iterations, 512))
                .getEncoded();
    }

    static String hmacHex(byte[] keys, String text) throws Exception {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(keys, 32, 32, "HmacSHA256"));
        return HEX.formatHex(m.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aPbkdf2VaultStillOpensWithTheKeysItWasMadeWith() throws Exception {
        byte[] salt = filled(32, 9);
        byte[] keys = oldPbkdf2Keys("correct horse", salt, 600_000);
        // what Remote wrote before Argon2id
        JsonNode enc = JSON.createObjectNode()
                .put("cipher", "AES-256-GCM")
                .put("kdf", "PBKDF2-HMAC-SHA256")
                .put("iterations", 600_000)
                .put("salt", HEX.formatHex(salt))
                .put("check", hmacHex(keys, "lifeline-vault-key-check"));

        Crypto c = Crypto.open("correct horse".toCharArray(), enc, "test");
        assertThat(c.check()).isEqualTo(enc.path("check").asText());
        assertThat(c.name("ab".repeat(32))).isEqualTo(hmacHex(keys, "ab".repeat(32)));
        byte[] blob = c.encrypt("a manifest".getBytes(StandardCharsets.UTF_8));
        Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
        aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys, 0, 32, "AES"), new GCMParameterSpec(128, blob, 4, 12));
        aes.updateAAD("LLV1".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(aes.doFinal(blob, 16, blob.length - 16), StandardCharsets.UTF_8))
                .isEqualTo("a manifest");
    }

    @Test
    void anUnknownKdfIsRefusedWithWhatToDo() {
        ObjectNode enc = JSON.createObjectNode()
                .put("cipher", "AES-256-GCM")
                .put("kdf", "scrypt")
                .put("salt", HEX.formatHex(filled(32, 1)))
                .put("check", "00");
        char[] pass = "correct horse".toCharArray();
        assertThatThrownBy(() -> Crypto.open(pass, enc, "s3://vault/host-a/"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("s3://vault/host-a/")
                .hasMessageContaining("\"scrypt\"")
                .hasMessageContaining("argon2id and PBKDF2-HMAC-SHA256 are supported")
                .satisfies(e -> assertThat(((LifelineException) e).hint())
                        .contains("Lifeline version that created it")
                        .contains("nothing was changed"));
        assertThat(pass).containsOnly('\0');

        enc.remove("kdf");
        assertThatThrownBy(() -> Crypto.open("x".toCharArray(), enc, "here"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("names no key derivation function");
    }

    @Test
    void brokenOrHostileParametersAreRefusedBeforeDeriving() {
        ObjectNode enc = JSON.createObjectNode()
                .put("kdf", "argon2id")
                .put("m", 65536)
                .put("t", 3)
                .put("p", 1)
                .put("salt", "not hex");
        assertThatThrownBy(() -> Crypto.open("x".toCharArray(), enc, "here"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("\"salt\"");

        enc.put("salt", HEX.formatHex(filled(32, 1))).put("t", 0);
        assertThatThrownBy(() -> Crypto.open("x".toCharArray(), enc, "here"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("\"t\" must be a whole number from 1");

        enc.put("t", 3).put("m", Integer.MAX_VALUE); // 2 TiB: would end in an OutOfMemoryError
        assertThatThrownBy(() -> Crypto.open("x".toCharArray(), enc, "here"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("more than this JVM may use")
                .satisfies(e -> assertThat(((LifelineException) e).hint()).contains("-Xmx"));

        enc.put("m", 65536).put("cipher", "ChaCha20-Poly1305");
        assertThatThrownBy(() -> Crypto.open("x".toCharArray(), enc, "here"))
                .isInstanceOf(LifelineException.class)
                .hasMessageContaining("\"ChaCha20-Poly1305\"");
    }
}
