package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.LifelineException;
import dev.lifeline.process.Exec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Host keys for {@code lifeline tunnel trust}: fetch the server's keys with {@code ssh-keyscan},
 * show their SHA-256 fingerprints (the form {@code ssh} prints), and append them to the
 * known_hosts file ssh itself will read. Recording is a separate, explicit step: nothing here
 * trusts a key on its own.
 */
public final class HostKeys {
    private HostKeys() {}

    /** One key the server offered. */
    public record Key(String type, String base64) {
        /** {@code SHA256:…} as {@code ssh-keygen -lf} and ssh's own messages print it. */
        public String fingerprint() {
            try {
                byte[] d = MessageDigest.getInstance("SHA-256")
                        .digest(Base64.getDecoder().decode(base64));
                return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(d);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        String shortType() {
            String t = type.toUpperCase(Locale.ROOT);
            if (t.startsWith("SSH-")) {
                t = t.substring(4);
            }
            return t.startsWith("ECDSA") ? "ECDSA" : t;
        }
    }

    /**
     * What a scan found.
     *
     * @param hostName the name as known_hosts writes it ({@code [host]:port} off port 22)
     * @param knownHosts the file ssh reads for this host (from {@code ssh -G})
     */
    public record Scanned(String hostName, Path knownHosts, List<Key> keys) {
        public Scanned {
            keys = List.copyOf(keys);
        }

        /** "ED25519 SHA256:…, ECDSA SHA256:…". */
        public String describe() {
            List<String> out = new ArrayList<>();
            for (Key k : keys) {
                out.add(k.shortType() + " " + k.fingerprint());
            }
            return String.join(", ", out);
        }
    }

    /** Scans the server a tunnel connects to ({@code ssh -G} resolves aliases and ports first). */
    public static Scanned scan(TunnelSpec spec, Duration timeout) {
        return scan("ssh", SshTarget.resolve("ssh", spec), timeout);
    }

    static Scanned scan(String sshProgram, SshTarget t, Duration timeout) {
        String keyscan = sshProgram.endsWith("ssh") && sshProgram.contains("/")
                ? sshProgram.substring(0, sshProgram.length() - 3) + "ssh-keyscan"
                : "ssh-keyscan";
        List<String> argv = List.of(
                keyscan,
                "-T",
                Long.toString(Math.max(1, timeout.toSeconds())),
                "-p",
                Integer.toString(t.port()),
                t.hostname());
        String out;
        try {
            out = Exec.of(argv)
                    .discardStderr()
                    .timeout(timeout.plusSeconds(5))
                    .run()
                    .output();
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot run ssh-keyscan: " + e.getMessage(), "install the OpenSSH client tools");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while scanning host keys");
        }
        List<Key> keys = new ArrayList<>();
        for (String line : out.split("\\R")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3) {
                keys.add(new Key(f[1], f[2]));
            }
        }
        return new Scanned(t.knownHostsName(), t.knownHostsFiles().get(0), keys);
    }

    /** What known_hosts already says about the scanned host. */
    public enum Known {
        /** Nothing yet: recording is the way to trust it. */
        NOTHING,
        /** One of the offered keys is already there: nothing to do. */
        SAME_KEY,
        /** Another key is recorded for this host: the server's key changed, or this is not the same server. */
        OTHER_KEY
    }

    /**
     * Looks the host up with {@code ssh-keygen -F} (which also reads hashed entries) and compares
     * the recorded keys with the scanned ones.
     */
    public static Known known(Scanned s) {
        if (!Files.exists(s.knownHosts())) {
            return Known.NOTHING;
        }
        String out;
        try {
            out = Exec.of("ssh-keygen", "-F", s.hostName(), "-f", s.knownHosts().toString())
                    .discardStderr()
                    .timeout(Duration.ofSeconds(10))
                    .run()
                    .output();
        } catch (IOException e) {
            return Known.NOTHING;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Known.NOTHING;
        }
        boolean any = false;
        for (String line : out.split("\\R")) {
            String[] f = line.trim().split("\\s+");
            if (line.startsWith("#") || f.length < 3) {
                continue;
            }
            any = true;
            for (Key k : s.keys()) {
                if (k.type().equals(f[1]) && k.base64().equals(f[2])) {
                    return Known.SAME_KEY;
                }
            }
        }
        return any ? Known.OTHER_KEY : Known.NOTHING;
    }

    /** Appends the scanned keys to their known_hosts file (created private if missing). */
    public static void record(Scanned s) {
        if (s.keys().isEmpty()) {
            throw new LifelineException(
                    "no host keys to record for " + s.hostName(), "check that the server is reachable");
        }
        if (known(s) == Known.OTHER_KEY) {
            throw new LifelineException(
                    s.knownHosts() + " already holds a different key for " + s.hostName()
                            + "; Lifeline does not overwrite it",
                    "if the server's owner confirms the key changed, remove the old one first: ssh-keygen -R '"
                            + s.hostName() + "' -f " + s.knownHosts());
        }
        try {
            Path dir = s.knownHosts().toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                try {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException e) {
                    // not POSIX (Windows): ACLs default to the owner
                }
            }
            StringBuilder b = new StringBuilder();
            if (Files.exists(s.knownHosts()) && Files.size(s.knownHosts()) > 0) {
                String existing = Files.readString(s.knownHosts(), StandardCharsets.UTF_8);
                if (!existing.endsWith("\n")) {
                    b.append('\n');
                }
            }
            for (Key k : s.keys()) {
                b.append(s.hostName())
                        .append(' ')
                        .append(k.type())
                        .append(' ')
                        .append(k.base64())
                        .append('\n');
            }
            Files.writeString(
                    s.knownHosts(),
                    b.toString(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write " + s.knownHosts() + ": " + e.getMessage(), "check the file's permissions");
        }
    }
}
