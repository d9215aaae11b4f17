package dev.lifeline.dashboard;

import dev.lifeline.core.LifelineException;
import dev.lifeline.core.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The dashboard's token: 32 random bytes as hex in {@code $LIFELINE_HOME/dashboard.token}, owner
 * read/write only. A file that is a link, not a regular file, not 64 hex digits, or readable by
 * anyone else is replaced by a new token (the old one may have leaked).
 */
public final class DashboardToken {
    public static final String FILE = "dashboard.token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] value;

    private DashboardToken(String value) {
        this.value = value.getBytes(StandardCharsets.US_ASCII);
    }

    /** The token of this home, created when missing or untrustworthy. */
    public static DashboardToken loadOrCreate(Path home) {
        Path file = home.resolve(FILE);
        try {
            String existing = readTrusted(file);
            if (existing != null) {
                return new DashboardToken(existing);
            }
            byte[] b = new byte[32];
            RANDOM.nextBytes(b);
            String t = HexFormat.of().formatHex(b);
            PrivateFiles.writePrivate(file, t + "\n"); // replaces a link, never follows it
            return new DashboardToken(t);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write the dashboard token " + file + ": " + e.getMessage(),
                    "check the permissions and free space of LIFELINE_HOME");
        }
    }

    /** The token in {@code file}, or null when it must be made again. */
    private static String readTrusted(Path file) throws IOException {
        try {
            PrivateFiles.requireRegular(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null; // a link or not a file: replaced
        }
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            if (!PrivateFiles.OWNER_ONLY.containsAll(p)) {
                return null;
            }
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
        if (Files.size(file) > 200) {
            return null;
        }
        String t = Files.readString(file, StandardCharsets.US_ASCII).trim();
        return t.matches("[0-9a-f]{64}") ? t : null;
    }

    /** The token text (for the URL {@code lifeline dashboard} prints). */
    public String value() {
        return new String(value, StandardCharsets.US_ASCII);
    }

    /** Constant-time comparison with what a request carried. */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(value, candidate.getBytes(StandardCharsets.US_ASCII));
    }
}
