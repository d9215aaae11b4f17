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
 * the holder dies, even by kill -9), plus the holder's pid and start time written inside so a
 * waiting writer can say who holds it and a leftover record from a dead holder is recognised as
 * stale and cleared. Closing twice is safe.
 */
final class WriterLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private WriterLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static WriterLock acquire(Path file, Duration wait, EventListener events) {
        long deadline = System.nanoTime() + wait.toNanos();
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new LifelineException(
                    "cannot open the repository lock " + file + ": " + e.getMessage(),
                    "check that the repository folder exists and is writable");
        }
        try {
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
                                "cleared a stale repository lock left by a dead writer (" + previous.strip() + ")",
                                Map.of()));
                    }
                    ch.truncate(0);
                    // informational only (the OS lock is the lock), so not fsynced
                    ch.write(ByteBuffer.wrap(describeSelf().getBytes(StandardCharsets.UTF_8)), 0);
                    return new WriterLock(ch, l);
                }
                if (System.nanoTime() > deadline) {
                    String holder = read(ch).strip();
                    throw new LifelineException(
                            "the repository " + file.getParent() + " is in use by another writer"
                                    + (holder.isEmpty() ? "" : " (" + holder + ")"),
                            "wait for it to finish (a backup, prune or the daemon's watcher), then retry");
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            closeQuietly(ch);
            throw new LifelineException("cannot lock " + file + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            closeQuietly(ch);
            Thread.currentThread().interrupt();
            throw new LifelineException("interrupted while waiting for the repository lock", null, e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static String describeSelf() {
        ProcessHandle me = ProcessHandle.current();
        Optional<Instant> start = me.info().startInstant();
        return "pid " + me.pid() + " started " + start.map(Instant::toString).orElse("?") + "\n";
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
