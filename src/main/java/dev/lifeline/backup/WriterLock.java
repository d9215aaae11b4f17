package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The repository's single-writer lock: an OS lock on {@code lock} (released by the kernel when
 * the holder dies, even by kill -9), plus the holder's pid, start time and operation written
 * inside so a waiting writer can say who holds it and a leftover record from a dead holder is
 * recognised as stale and cleared. Closing twice is safe.
 *
 * <p>The same mechanism, as {@link Kind#REMOTE} on {@code remote.lock}, keeps a push and a
 * remote prune of this repository's mirror apart without holding up the writers.
 */
final class WriterLock implements AutoCloseable {
    /** Which lock: how it is named in messages, and what a waiting holder is told. */
    record Kind(String name, String busy, String hint, boolean announceWait) {
        static final Kind WRITER = new Kind(
                "repository lock",
                "is in use by another writer",
                "wait for it to finish (a backup, prune or the daemon's watcher), then retry",
                false);
        static final Kind REMOTE = new Kind(
                "remote lock",
                "is in use by another push or remote prune",
                "wait for it to finish (a push, the daemon's upload after a snapshot, or a prune), then retry",
                true);
    }

    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private WriterLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static WriterLock acquire(Path file, Duration wait, EventListener events) {
        return acquire(file, wait, events, Kind.WRITER, null);
    }

    /**
     * Takes the lock, waiting up to {@code wait} for a live holder; {@code operation} (null: none)
     * is written into the record, so whoever waits on it learns what holds it.
     */
    static WriterLock acquire(Path file, Duration wait, EventListener events, Kind kind, String operation) {
        long deadline = System.nanoTime() + wait.toNanos();
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot open the " + kind.name() + " " + file + ": " + e.getMessage(),
                    "check that the repository folder exists and is writable");
        }
        try {
            boolean announced = false;
            while (true) {
                FileLock l = null;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    // another Vault in this JVM holds it: wait like any other writer
                }
                if (l != null) {
                    String previous = read(ch);
                    if (!previous.isBlank()) {
                        events.onEvent(Event.of(
                                "backup",
                                "stale-lock",
                                Event.Level.WARN,
                                "cleared a stale " + kind.name() + " left by a dead holder (" + previous.strip() + ")",
                                Map.of("lock", file.toString())));
                    }
                    ch.truncate(0);
                    // informational only (the OS lock is the lock), so not fsynced
                    ch.write(ByteBuffer.wrap(describeSelf(operation).getBytes(StandardCharsets.UTF_8)), 0);
                    return new WriterLock(ch, l);
                }
                String holder = read(ch).strip();
                if (System.nanoTime() > deadline) {
                    throw new LifelineException(
                            "the repository " + file.getParent() + " " + kind.busy()
                                    + (holder.isEmpty() ? "" : " (" + holder + ")"),
                            kind.hint());
                }
                if (kind.announceWait() && !announced) {
                    announced = true;
                    events.onEvent(Event.of(
                            "backup",
                            "lock-wait",
                            Event.Level.INFO,
                            "waiting up to " + wait.toSeconds() + " s for the " + kind.name() + " of "
                                    + file.getParent() + (holder.isEmpty() ? "" : ", held by " + holder),
                            Map.of("lock", file.toString())));
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            closeQuietly(ch);
            throw new LifelineException("cannot lock " + file + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            closeQuietly(ch);
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while waiting for the " + kind.name(), null, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static String describeSelf(String operation) {
        ProcessHandle me = ProcessHandle.current();
        Optional<Instant> start = me.info().startInstant();
        String what = operation == null ? "" : " for " + operation.replace('\n', ' ');
        return "pid " + me.pid() + " started " + start.map(Instant::toString).orElse("?") + what + "\n";
    }

    private static String read(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), 4096);
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // keep reading
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.truncate(0); // a clean release leaves no record that could look stale
            lock.release();
        } catch (IOException ignored) {
            // the kernel drops the lock with the channel anyway
        } finally {
            closeQuietly(channel);
        }
    }
}
