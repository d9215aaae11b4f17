package dev.lifeline.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Lifeline's state folder, {@code $LIFELINE_HOME} (default {@code ~/.lifeline}): the control
 * socket, the daemon's pid file and log, {@code logs/<service>.log} and {@code run/<service>.pid}.
 * Created private to its owner (0700), since it holds the control socket.
 */
public record Home(Path root) {

    public static Home fromEnvironment() {
        String env = System.getenv("LIFELINE_HOME");
        Path p = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".lifeline");
        return new Home(p.toAbsolutePath().normalize());
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
     * Writes a state file so that a crash leaves the old or the new content, never half of it
     * (temp file, then an atomic rename), readable by its owner only: state files can hold a
     * config's text and so secrets from its env section.
     */
    public static void writePrivate(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text, java.nio.charset.StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not POSIX (Windows): the folder's ACL already limits it to the owner
        }
        Files.move(
                tmp,
                target,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Creates the folders, private to the owner. */
    public Home ensure() {
        try {
            for (Path p : new Path[] {root, logs(), run()}) {
                Files.createDirectories(p);
                try {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system (Windows): ACLs already default to the owner
                }
            }
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot create Lifeline's state folder " + root + ": " + e.getMessage(),
                    "set LIFELINE_HOME to a writable folder");
        }
        return this;
    }
}
