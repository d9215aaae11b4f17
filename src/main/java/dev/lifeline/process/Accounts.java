package dev.lifeline.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Accounts: the passwd entry a service's {@code user:} names ({@code /etc/passwd}, then the name
 * service through {@code getent} for LDAP or sssd accounts). The primary group comes from that entry (the account {@code nobody} has the group {@code nogroup} on Debian, not a group
 * named {@code nobody}).
 */
public final class Accounts {
    private static final Path PASSWD = Path.of("/etc/passwd");

    private Accounts() {}

    /** An account: its name, uid and primary gid. */
    public record Account(String name, long uid, long gid) {}

    /**
     * The account {@code name} (or a numeric uid), from {@code /etc/passwd}; empty when it has no
     * entry there.
     */
    public static Optional<Account> lookup(String name) {
        Optional<Account> local = lookup(PASSWD, name);
        return local.isPresent() ? local : nameService(name);
    }

    /** The account from the name service ({@code getent passwd}: LDAP, sssd); empty when unknown. */
    private static Optional<Account> nameService(String name) {
        if (!name.matches("[A-Za-z0-9_.][A-Za-z0-9_.-]*")) {
            return Optional.empty(); // never an option to getent
        }
        try {
            Exec.Result r = Exec.of("getent", "passwd", name)
                    .timeout(java.time.Duration.ofSeconds(5))
                    .discardStderr()
                    .run();
            if (r.ok()) {
                String[] f = r.output().trim().split(":", -1);
                if (f.length >= 4) {
                    return Optional.of(new Account(f[0], Long.parseLong(f[2]), Long.parseLong(f[3])));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no getent: unknown
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    static Optional<Account> lookup(Path passwd, String name) {
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", -1);
                if (f.length < 4 || line.startsWith("#")) {
                    continue;
                }
                if (f[0].equals(name) || f[2].equals(name)) {
                    return Optional.of(new Account(f[0], Long.parseLong(f[2]), Long.parseLong(f[3])));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no readable passwd file: unknown
        }
        return Optional.empty();
    }

    /**
     * What {@code setpriv --regid} gets for {@code user}: its passwd entry's gid.
     *
     * @return the gid, or empty when the account does not exist
     */
    public static Optional<String> primaryGroup(String user) {
        return lookup(user).map(a -> Long.toString(a.gid()));
    }

    /** True when {@code user} exists (in {@code /etc/passwd} or the name service). */
    public static boolean exists(String user) {
        return lookup(user).isPresent();
    }
}
