package dev.lifeline.process;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;

/**
 * Local accounts: the passwd entry a service's {@code user:} names. The primary group comes from
 * that entry (the account {@code nobody} has the group {@code nogroup} on Debian, not a group
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
        return lookup(PASSWD, name);
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
     * True when the system's name service knows {@code name} as a user or group (LDAP or sssd
     * accounts have no line in {@code /etc/passwd}).
     */
    static boolean nameServiceKnows(String name, boolean group) {
        try {
            var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            if (group) {
                lookup.lookupPrincipalByGroupName(name);
            } else {
                lookup.lookupPrincipalByName(name);
            }
            return true;
        } catch (UserPrincipalNotFoundException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * What {@code setpriv --regid} gets for {@code user}: the passwd entry's gid, or, for an account
     * only the name service knows, a group of the same name where one exists.
     *
     * @return the group, or empty with nothing usable (the account does not exist, or its group
     *     cannot be found)
     */
    public static Optional<String> primaryGroup(String user) {
        Optional<Account> a = lookup(user);
        if (a.isPresent()) {
            return Optional.of(Long.toString(a.get().gid()));
        }
        if (nameServiceKnows(user, false) && nameServiceKnows(user, true)) {
            return Optional.of(user);
        }
        return Optional.empty();
    }

    /** True when {@code user} exists (in {@code /etc/passwd} or the name service). */
    public static boolean exists(String user) {
        return lookup(user).isPresent() || nameServiceKnows(user, false);
    }
}
