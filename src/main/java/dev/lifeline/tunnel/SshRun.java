package dev.lifeline.tunnel;

import dev.lifeline.core.LifelineException;
import dev.lifeline.process.LaunchSpec;
import dev.lifeline.process.Launcher;
import dev.lifeline.process.ProcessTree;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One ssh process, from its start to its stop, and what it wrote on stderr. ssh's stderr goes to
 * {@code tunnel-NAME.log} in the log directory: each start appends a line with the time and the
 * command, the file is cut when it passes 1 MiB, and a link in its place is never followed. With
 * Lifeline's session ({@link Session#PTY}) stdin and stdout are pipes, which carry the link check.
 *
 * <p>Started and stopped by the tunnel's thread; {@link #destroy} may come from any thread.
 */
final class SshRun {
    /** How long ssh has to exit after TERM before it is killed. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(3);

    private static final long LOG_MAX = 1 << 20;
    private static final int STDERR_TAIL = 64 * 1024;

    private final Launcher.Started started;
    private final Path log;
    private final long offset;

    private SshRun(Launcher.Started started, Path log, long offset) {
        this.started = started;
        this.log = log;
        this.offset = offset;
    }

    /**
     * Writes the attempt's line to {@code tunnel-NAME.log} in {@code dir} and starts {@code argv},
     * its stderr appended to that log.
     */
    static SshRun start(List<String> argv, Session session, Path dir, String name, Clock clock) {
        Path log = dir.resolve("tunnel-" + name + ".log");
        trim(log);
        try {
            Files.createDirectories(dir);
            Files.writeString(
                    log,
                    "--- " + clock.instant() + " " + SshCommandLine.display(argv) + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot write " + log + ": " + e.getMessage(), "check that " + dir + " is writable");
        }
        long offset = size(log);
        LaunchSpec launch = new LaunchSpec(argv, dir, Map.of(), log, Map.of(), Optional.empty());
        return new SshRun(session == Session.PTY ? Launcher.startPiped(launch) : Launcher.start(launch), log, offset);
    }

    Process process() {
        return started.process();
    }

    long pid() {
        return started.identity().pid();
    }

    boolean alive() {
        return started.process().isAlive();
    }

    /** ssh's exit status; call once it has exited. */
    int exitCode() {
        return started.process().exitValue();
    }

    /** What ssh wrote on stderr since this start (its last 64 KiB). */
    String stderr() {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(offset, len - STDERR_TAIL);
            if (from >= len) {
                return "";
            }
            byte[] b = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** TERM now and return: a link check waiting on ssh's output returns. Any thread. */
    void destroy() {
        started.process().destroy();
    }

    /** Ends ssh (TERM, then KILL after {@link #STOP_TIMEOUT}) and closes its pipes; waits for it. */
    void stop() {
        if (started.process().isAlive()) {
            ProcessTree.stop(started, STOP_TIMEOUT);
        }
        closeQuietly(started.process().getOutputStream()); // the session's pipes (empty streams without one)
        closeQuietly(started.process().getInputStream());
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // the process is gone; nothing to flush
        }
    }

    private static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Keeps the per-tunnel ssh log small: cut it when it passes 1 MiB. */
    private static void trim(Path p) {
        if (size(p) > LOG_MAX) {
            try {
                Files.writeString(
                        p,
                        "",
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        LinkOption.NOFOLLOW_LINKS); // never truncate a link's target
            } catch (IOException e) {
                // a log that cannot be cut only grows
            }
        }
    }
}
