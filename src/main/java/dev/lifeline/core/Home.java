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
