package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec.EncryptionSpec;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client-side encryption of what goes to the remote: AES-256-GCM per object with a random
 * 96-bit nonce ({@code "LLV1" || nonce || ciphertext || tag}), remote object names
 * HMAC-SHA256(name key, plain hash) so they reveal nothing about content.
 *
 * <p>Keys come from PBKDF2-HMAC-SHA256 with 600,000 iterations and a random 32-byte salt: the JDK
 * has no memory-hard KDF (scrypt/Argon2), and adding a crypto library for it was not justified.
 */
final class Crypto {
    static final int ITERATIONS = 600_000;
    private static final byte[] MAGIC = "LLV1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec encKey;
    private final SecretKeySpec nameKey;

    private Crypto(byte[] keys) {
        this.encKey = new SecretKeySpec(keys, 0, 32, "AES");
        this.nameKey = new SecretKeySpec(keys, 32, 32, "HmacSHA256");
    }

    static byte[] newSalt() {
        byte[] s = new byte[32];
        RANDOM.nextBytes(s);
        return s;
    }

    static Crypto derive(char[] passphrase, byte[] salt, int iterations) {
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            byte[] keys = f.generateSecret(new PBEKeySpec(passphrase, salt, iterations, 512))
                    .getEncoded();
            return new Crypto(keys);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks PBKDF2WithHmacSHA256", e);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
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
            Process p = new ProcessBuilder("sh", "-c", cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LifelineException(
                        "the passphrase command did not finish within 30s",
                        "check backup.encryption.passphrase-command");
            }
            String line =
                    new String(out, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            if (p.exitValue() != 0 || line.isEmpty()) {
                throw new LifelineException(
                        "the passphrase command exited with status " + p.exitValue()
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
