package dev.lifeline.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.BackupSpec.EncryptionSpec;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Exec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Client-side encryption of what goes to the remote: AES-256-GCM per object with a random
 * 96-bit nonce ({@code "LLV1" || nonce || ciphertext || tag}), remote object names
 * HMAC-SHA256(name key, plain hash) so they reveal nothing about content.
 *
 * <p>The 64 key bytes (32 for AES, 32 for the name HMAC) come from the passphrase through the KDF
 * that the remote's {@code vault.json} names in its {@code encryption} object:
 *
 * <ul>
 *   <li>{@code "argon2id"} (RFC 9106, version 0x13), for every vault created now: {@code m}
 *       64 MiB (in KiB, 65536), {@code t} 3 passes, {@code p} 1 lane, a random 32-byte
 *       {@code salt}. Memory-hard, so a guessing attacker pays 64 MiB per guess. Computed with
 *       Bouncy Castle's {@code Argon2BytesGenerator}.
 *   <li>{@code "PBKDF2-HMAC-SHA256"} with {@code iterations} (600,000 when created): vaults made
 *       before Argon2id. Still opened with what they record; a vault is never re-keyed behind its
 *       owner's back.
 * </ul>
 *
 * Any other KDF name, or parameters out of range, is refused before anything is derived or
 * written. Derivation times are in docs/repository-format.md.
 */
final class Crypto {
    static final String CIPHER = "AES-256-GCM";
    static final String ARGON2ID = "argon2id";
    static final String PBKDF2 = "PBKDF2-HMAC-SHA256";
    /**
     * New vaults' Argon2id cost: 64 MiB (in KiB), 3 passes, 1 lane. Bouncy Castle fills lanes one
     * after another on the calling thread, so 2 lanes bought no wall time on 2 cores (measured).
     */
    static final int ARGON2_MEMORY_KIB = 64 * 1024;

    static final int ARGON2_PASSES = 3;
    static final int ARGON2_LANES = 1;
    /** What PBKDF2 vaults were created with, and assumed when one does not say. */
    static final int PBKDF2_ITERATIONS = 600_000;

    private static final int KEY_BYTES = 64;
    private static final int MAX_ARGON2_LANES = 64;
    private static final int MAX_ARGON2_PASSES = 64;
    private static final int MAX_PBKDF2_ITERATIONS = 100_000_000;
    private static final byte[] MAGIC = "LLV1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec encKey;
    private final SecretKeySpec nameKey;

    private Crypto(byte[] keys) {
        this.encKey = new SecretKeySpec(keys, 0, 32, "AES");
        this.nameKey = new SecretKeySpec(keys, 32, 32, "HmacSHA256");
        Arrays.fill(keys, (byte) 0);
    }

    static byte[] newSalt() {
        byte[] s = new byte[32];
        RANDOM.nextBytes(s);
        return s;
    }

    /**
     * Keys for a new vault: Argon2id with this class's parameters and a fresh salt, recorded in
     * {@code encryption} as {@code kdf}, {@code m}, {@code t}, {@code p}, {@code salt}. Clears
     * {@code passphrase}.
     */
    static Crypto create(char[] passphrase, ObjectNode encryption) {
        byte[] salt = newSalt();
        Crypto c;
        try {
            c = argon2id(passphrase, salt, ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        encryption
                .put("kdf", ARGON2ID)
                .put("m", ARGON2_MEMORY_KIB)
                .put("t", ARGON2_PASSES)
                .put("p", ARGON2_LANES)
                .put("salt", HexFormat.of().formatHex(salt));
        return c;
    }

    /**
     * Keys for an existing vault, derived with the KDF and parameters its {@code encryption} object
     * records; {@code where} names the vault in errors. Clears {@code passphrase}.
     */
    /**
     * Keys derived in this process, by a hash of passphrase and parameters: the daemon connects
     * for every push, and Argon2id costs 64 MiB and ~0.3 s each time.
     */
    private static final Map<String, Crypto> DERIVED = new java.util.concurrent.ConcurrentHashMap<>();

    static Crypto open(char[] passphrase, JsonNode encryption, String where) {
        String cacheKey = cacheKey(passphrase, encryption);
        Crypto known = DERIVED.get(cacheKey);
        if (known != null) {
            Arrays.fill(passphrase, '\0');
            return known;
        }
        Crypto derived = derive(passphrase, encryption, where);
        if (DERIVED.size() >= 4) {
            DERIVED.clear();
        }
        DERIVED.put(cacheKey, derived);
        return derived;
    }

    private static String cacheKey(char[] passphrase, JsonNode encryption) {
        java.security.MessageDigest md = ObjectStore.sha256();
        java.nio.ByteBuffer pass = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(passphrase));
        md.update(pass);
        if (pass.hasArray()) {
            Arrays.fill(pass.array(), (byte) 0);
        }
        md.update((byte) 0);
        md.update(encryption.toString().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    private static Crypto derive(char[] passphrase, JsonNode encryption, String where) {
        try {
            String cipher = encryption.path("cipher").asText(CIPHER);
            if (!cipher.equals(CIPHER)) {
                throw new LifelineException(
                        "the remote vault at " + where + " is encrypted with \"" + cipher
                                + "\", which this Lifeline does not know (it uses " + CIPHER + ")",
                        "open it with the Lifeline version that created it; nothing was changed");
            }
            String kdf = encryption.path("kdf").asText("");
            switch (kdf) {
                case ARGON2ID -> {
                    int p = intParam(encryption, "p", 1, MAX_ARGON2_LANES, where);
                    int t = intParam(encryption, "t", 1, MAX_ARGON2_PASSES, where);
                    int m = intParam(encryption, "m", 8 * p, Integer.MAX_VALUE, where);
                    byte[] salt = salt(encryption, where);
                    requireHeap(m, where);
                    return argon2id(passphrase, salt, m, t, p);
                }
                case PBKDF2 -> {
                    int iterations = encryption.has("iterations")
                            ? intParam(encryption, "iterations", 1, MAX_PBKDF2_ITERATIONS, where)
                            : PBKDF2_ITERATIONS;
                    return pbkdf2(passphrase, salt(encryption, where), iterations);
                }
                default ->
                    throw new LifelineException(
                            "the remote vault at " + where
                                    + (kdf.isEmpty()
                                            ? " names no key derivation function in its vault.json"
                                            : " names the key derivation function \"" + kdf
                                                    + "\" in its vault.json, which this Lifeline does not know")
                                    + " (" + ARGON2ID + " and " + PBKDF2 + " are supported)",
                            "open it with the Lifeline version that created it, or check vault.json's"
                                    + " \"encryption\" object for damage; nothing was changed");
            }
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    private static byte[] salt(JsonNode encryption, String where) {
        String hex = encryption.path("salt").asText("");
        try {
            byte[] salt = HexFormat.of().parseHex(hex);
            if (salt.length >= 8) {
                return salt;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw badParam(where, "salt", "is not at least 8 bytes of hex");
    }

    private static int intParam(JsonNode encryption, String name, int min, int max, String where) {
        JsonNode v = encryption.get(name);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
            throw badParam(where, name, "must be a whole number from " + min + " to " + max);
        }
        return v.asInt();
    }

    private static LifelineException badParam(String where, String name, String problem) {
        return new LifelineException(
                "the remote vault at " + where + " has a broken key derivation parameter: \"" + name + "\" " + problem,
                "restore vault.json's \"encryption\" object from a copy; nothing was changed");
    }

    /** An Argon2 memory cost the heap cannot hold would end in an OutOfMemoryError midway. */
    private static void requireHeap(int memoryKiB, String where) {
        long need = memoryKiB * 1024L + (memoryKiB * 1024L) / 16; // blocks plus their object headers
        long max = Runtime.getRuntime().maxMemory();
        if (need > max) {
            throw new LifelineException(
                    "the remote vault at " + where + " needs " + (need >> 20) + " MiB for its key derivation"
                            + " (Argon2id m=" + memoryKiB + " KiB), more than this JVM may use (" + (max >> 20)
                            + " MiB)",
                    "run lifeline with a larger heap, e.g. LIFELINE_JAVA_OPTS=-Xmx" + ((need >> 20) * 2) + "m");
        }
    }

    /** The vault keys from Argon2id: 64 bytes, no secret, no associated data. */
    static Crypto argon2id(char[] passphrase, byte[] salt, int memoryKiB, int passes, int lanes) {
        byte[] pw = utf8(passphrase);
        try {
            return new Crypto(argon2id(pw, salt, null, null, memoryKiB, passes, lanes, KEY_BYTES));
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /**
     * Raw Argon2id (RFC 9106, version 0x13); {@code secret} and {@code associated} may be null.
     * Exposed for the RFC's test vector.
     */
    static byte[] argon2id(
            byte[] password,
            byte[] salt,
            byte[] secret,
            byte[] associated,
            int memoryKiB,
            int passes,
            int lanes,
            int length) {
        Argon2Parameters.Builder b = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKiB)
                .withIterations(passes)
                .withParallelism(lanes)
                .withSalt(salt);
        if (secret != null) {
            b.withSecret(secret);
        }
        if (associated != null) {
            b.withAdditional(associated);
        }
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(b.build());
        byte[] out = new byte[length];
        g.generateBytes(password, out);
        return out;
    }

    /** The vault keys of a PBKDF2-HMAC-SHA256 vault (those created before Argon2id). */
    static Crypto pbkdf2(char[] passphrase, byte[] salt, int iterations) {
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            byte[] keys = f.generateSecret(new PBEKeySpec(passphrase, salt, iterations, KEY_BYTES * 8))
                    .getEncoded();
            return new Crypto(keys);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks PBKDF2WithHmacSHA256", e);
        }
    }

    private static byte[] utf8(char[] chars) {
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        if (bb.hasArray()) {
            Arrays.fill(bb.array(), (byte) 0);
        }
        return out;
    }

    String name(String sha256) {
        return mac(sha256);
    }

    /** Stored with the salt so a wrong passphrase is recognised before anything is decrypted. */
    String check() {
        return mac("lifeline-vault-key-check");
    }

    private String mac(String text) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(nameKey);
            return HexFormat.of().formatHex(m.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    void encrypt(InputStream in, OutputStream out) throws IOException {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, encKey, new GCMParameterSpec(128, nonce));
            c.updateAAD(MAGIC);
            out.write(MAGIC);
            out.write(nonce);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] ct = c.update(buf, 0, n);
                if (ct != null) {
                    out.write(ct);
                }
            }
            out.write(c.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IOException("encryption failed: " + e.getMessage(), e);
        }
    }

    byte[] encrypt(byte[] plain) throws IOException {
        var out = new java.io.ByteArrayOutputStream(plain.length + 32);
        encrypt(new java.io.ByteArrayInputStream(plain), out);
        return out.toByteArray();
    }

    /** Decrypts and authenticates a whole object (held in memory: GCM checks its tag at the end). */
    byte[] decrypt(byte[] blob, String what) throws IOException {
        if (blob.length < MAGIC.length + 12 + 16 || !Arrays.equals(blob, 0, 4, MAGIC, 0, 4)) {
            throw new IOException(what + " is not an encrypted Lifeline object");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, encKey, new GCMParameterSpec(128, blob, 4, 12));
            c.updateAAD(MAGIC);
            return c.doFinal(blob, 16, blob.length - 16);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IOException(what + " fails authentication: corrupt, or encrypted with another key");
        } catch (GeneralSecurityException e) {
            throw new IOException("decryption of " + what + " failed: " + e.getMessage(), e);
        }
    }

    /** Reads the passphrase from the named environment variable or the command's first output line. */
    static char[] passphrase(EncryptionSpec spec, Map<String, String> env) {
        if (spec.passphraseEnv().isPresent()) {
            String name = spec.passphraseEnv().get();
            String v = env.get(name);
            if (v == null || v.isEmpty()) {
                throw new LifelineException(
                        "backup encryption is on but the environment variable " + name + " is not set",
                        "export " + name + " with the vault passphrase before running lifeline");
            }
            return v.toCharArray();
        }
        String cmd = spec.passphraseCommand().orElseThrow();
        try {
            Exec.Result r = Exec.of("sh", "-c", cmd)
                    .discardStderr()
                    .keep(8192)
                    .timeout(Duration.ofSeconds(30))
                    .run();
            if (r.timedOut()) {
                throw new LifelineException(
                        "the passphrase command did not finish within 30s",
                        "check backup.encryption.passphrase-command");
            }
            String line = r.head().lines().findFirst().orElse("");
            if (r.exitCode() != 0 || line.isEmpty()) {
                throw new LifelineException(
                        "the passphrase command exited with status " + r.exitCode()
                                + (line.isEmpty() ? " and printed nothing" : ""),
                        "check backup.encryption.passphrase-command (its output is never shown)");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot run the passphrase command: " + e.getMessage(),
                    "check backup.encryption.passphrase-command");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while reading the passphrase", null, e);
        }
    }
}
