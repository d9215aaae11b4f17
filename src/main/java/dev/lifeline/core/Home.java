package dev.lifeline.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Lifeline's state folder, {@code $LIFELINE_HOME} (default {@code $HOME/.lifeline}): the control
 * socket, the daemon's pid file and log, {@code logs/<service>.log} and {@code run/<service>.pid}.
 * Created private to its owner (0700), since it holds the control socket; a folder that another
 * user owns or could write to is refused ({@link #ensure()}).
 */
public record Home(Path root) {

    public static Home fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** {@code LIFELINE_HOME} if set, else {@code .lifeline} in {@link #userHome(Map)}. */
    public static Home fromEnvironment(Map<String, String> env) {
        String lh = env.get("LIFELINE_HOME");
        Path p = lh != null && !lh.isBlank() ? Path.of(lh) : userHome(env).resolve(".lifeline");
        return new Home(p.toAbsolutePath().normalize());
    }

    /**
     * The user's home as every Unix tool sees it: {@code $HOME} (on shared GPU machines often a
     * data disk), falling back to the password file's entry (Java's {@code user.home}) only when
     * {@code $HOME} is unset or not an absolute path.
     */
    public static Path userHome(Map<String, String> env) {
        String h = env.get("HOME");
        if (h != null && !h.isBlank() && Path.of(h).isAbsolute()) {
            return Path.of(h);
        }
        return Path.of(System.getProperty("user.home"));
    }

    public Path logs() {
        return root.resolve("logs");
    }

    public Path run() {
        return root.resolve("run");
    }

    public Path socket() {
        return root.resolve("lifeline.sock");
    }

    public Path daemonPidFile() {
        return root.resolve("daemon.pid");
    }

    public Path daemonLog() {
        return logs().resolve("daemon.log");
    }

    public Path serviceLog(String service) {
        return logs().resolve(service + ".log");
    }

    public Path pidFile(String service) {
        return run().resolve(service + ".pid");
    }

    public Path stateFile(String service) {
        return run().resolve(service + ".json");
    }

    /** The config the daemon last applied, kept so a restarted daemon supervises the same way. */
    public Path appliedConfig() {
        return root.resolve("applied.json");
    }

    /**
     * Writes a state file so that a crash leaves the old or the new content, never half of it,
     * readable by its owner only (state files can hold a config's text and so secrets from its
     * env section), and never through a link planted at its name: see {@link PrivateFiles}.
     */
    public static void writePrivate(Path target, String text) throws IOException {
        PrivateFiles.writePrivate(target, text);
    }

    /**
     * Creates the folders, private to the owner, and trusts each only if it is ours: a real
     * folder (the home itself may be a link the user made, e.g. to a data disk; {@code logs} and
     * {@code run} may not), owned by this user, writable by no one else. One {@code lstat} per
     * folder; nothing is created inside a folder that is refused.
     */
    public Home ensure() {
        try {
            for (Path p : new Path[] {root, logs(), run()}) {
                trust(p, p == root);
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot create Lifeline's state folder " + root + ": " + e.getMessage(),
                    "set LIFELINE_HOME to a writable folder");
        }
        return this;
    }

    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private void trust(Path p, boolean isRoot) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            createPrivate(p, isRoot); // not a Unix file system (Windows): ACLs already default to the owner
            return;
        } catch (NoSuchFileException e) {
            createPrivate(p, isRoot);
            a = Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        }
        int mode = (Integer) a.get("mode");
        if ((mode & S_IFMT) == S_IFLNK) {
            if (!isRoot) {
                throw refused(p, "is a symbolic link", "remove it (rm " + p + "); Lifeline creates the folder again");
            }
            int linkOwner = (Integer) a.get("uid");
            if (linkOwner != Ids.uid() && linkOwner != 0) {
                throw refused(p, "is a symbolic link made by " + userName(p, true) + ", not by you", fixOwner(p));
            }
            a = Files.readAttributes(p, "unix:mode,uid"); // the user's own link: trust what it points to
            mode = (Integer) a.get("mode");
        }
        if ((mode & S_IFMT) != S_IFDIR) {
            throw refused(p, "is not a folder", "remove it, or set LIFELINE_HOME to another folder");
        }
        if ((Integer) a.get("uid") != Ids.uid()) {
            throw refused(p, "belongs to " + userName(p, false) + ", not to you (" + Ids.name() + ")", fixOwner(p));
        }
        if ((mode & 022) != 0) {
            String who = (mode & 002) != 0 ? "every user" : "its group";
            throw refused(
                    p,
                    "can be written by " + who + ", so another user could plant links or files in it",
                    "make it yours alone: chmod 700 " + p + " (or set LIFELINE_HOME to a folder of your own)");
        }
        if ((mode & 0777) != 0700) {
            Files.setPosixFilePermissions(p, OWNER_ONLY_DIR); // readable by others: narrow it, as it was made
        }
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY_DIR =
            PosixFilePermissions.fromString("rwx------");

    private static void createPrivate(Path p, boolean isRoot) throws IOException {
        if (isRoot && p.getParent() != null) {
            Files.createDirectories(p.getParent());
        }
        try {
            Files.createDirectory(p, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(p);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made meanwhile by a concurrent command; checked by the caller
        }
    }

    private static String fixOwner(Path p) {
        if (Ids.uid() == 0) {
            // root with another user's $HOME (sudo -E): taking the folder would break that user's setup
            return "run lifeline as the user it belongs to, or give root a state folder of its own:"
                    + " LIFELINE_HOME=/root/.lifeline";
        }
        return "if it is yours, take it back with: sudo chown -R " + Ids.name() + " " + p
                + "; otherwise set LIFELINE_HOME to a folder of your own";
    }

    private static String userName(Path p, boolean link) {
        try {
            LinkOption[] o = link ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
            return "user " + Files.getOwner(p, o).getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "another user";
        }
    }

    private LifelineException refused(Path p, String why, String hint) {
        String what = p.equals(root) ? "Lifeline's state folder " + p : p + " (in Lifeline's state folder)";
        return new LifelineException("refusing to use " + what + ": it " + why, hint);
    }

    /**
     * This process's user, looked up once: the owner of {@code /proc/self} (its effective uid; one
     * stat, where reading {@code /proc/self/status} cost milliseconds at start-up), else the
     * JDK's Unix login module (macOS).
     */
    private static final class Ids {
        private static final int UID = lookUp();

        static int uid() {
            return UID;
        }

        static String name() {
            return System.getProperty("user.name");
        }

        private static int lookUp() {
            try {
                return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            } catch (IOException | RuntimeException e) {
                // no /proc (macOS): below
            }
            return (int) new com.sun.security.auth.module.UnixSystem().getUid();
        }
    }
}
