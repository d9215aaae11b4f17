package dev.lifeline.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Opens a source file for reading so that no symbolic link is followed below the source folder
 * and a FIFO swapped in cannot hang the caller. Each folder from the source down is opened
 * relative to the one before, without following a link ({@code openat(O_NOFOLLOW)} through a
 * {@link SecureDirectoryStream}), then the file itself; a link anywhere there fails the open.
 * (The source folder itself is opened by its configured path: a user may keep outputs on another
 * disk through a link.)
 *
 * <p>Java cannot open with {@code O_NONBLOCK}, and opening a FIFO for reading waits for a
 * writer, in the kernel, where no interrupt reaches. So the open itself runs on a worker
 * ({@code lifeline-vault-open}, a cached pool) while the caller waits for it: when it takes
 * longer than {@link #FIFO_WAIT}, the caller opens the same entry for writing on a throw-away
 * thread (through the same folder handle, never following a link, never truncating), so that
 * the two opens meet and the writer closes at once; when the open is still stuck after {@link
 * #GIVE_UP} (the FIFO was unlinked, or it is a device), the caller gives up on it and skips the
 * file (the worker stays blocked; whatever it opens later is closed). The opened file is then
 * checked: it must be seekable (a FIFO or socket is not: skipped), and the caller reads at most
 * {@link Opened#size()} bytes, its size when opened (fstat), so a character device (which only
 * root can create) gives nothing and a folder fails to read.
 *
 * <p>A backup's staging tasks already run on pool threads while one thread collects their
 * results, so they skip that hand-off ({@link #open(Path, Path, Watch)}): each task opens on its own
 * pool thread and publishes what it is opening in a {@link Watch}, and the collecting thread does
 * the unblocking and the giving up for every task of the batch (see {@code BackupRun}); a pool
 * thread given up on is replaced for as long as it stays blocked.
 *
 * <p>Defaults: unblocking tried after 250 ms and every 250 ms after, given up after 5 s.
 */
final class SafeOpen {
    static final Duration FIFO_WAIT = Duration.ofMillis(250);
    static final Duration GIVE_UP = Duration.ofSeconds(5);
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final Set<java.nio.file.OpenOption> READ =
            Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    private static final Set<java.nio.file.OpenOption> WRITE =
            Set.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    /** A source entry that cannot be read safely: skipped with a warning that gives {@link #getMessage()}. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** An open regular file; {@link #size()} is its size when opened. */
    record Opened(FileChannel channel, long size) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Idle openers go after 1 s: a closed watcher or vault leaves no thread behind for long. */
    private final ThreadPoolExecutor openers =
            new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "lifeline-vault-open");
                t.setDaemon(true);
                return t;
            });

    /**
     * Opens {@code file}, which lies under the source folder {@code root}, for reading.
     *
     * @throws NoSuchFileException when it (or a folder on the way) is gone
     * @throws Refused when it is not a regular file any more, a link is on the way, or it cannot be
     *     read (the message names the file and says why)
     */
    Opened open(Path root, Path file) throws IOException {
        return open(root, file, null);
    }

    /**
     * Like {@link #open(Path, Path)}, but with a {@code watch} the open runs on the calling thread,
     * without a hand-off: then whoever waits for this thread's work (the thread collecting a
     * batch's results, see {@code BackupRun}) must watch it, {@link Watch#nudge() nudging} an open
     * that takes longer than {@link #FIFO_WAIT} and {@link Watch#abandon() abandoning} one stuck
     * past {@link #GIVE_UP}, so that nothing waits forever on a FIFO.
     */
    Opened open(Path root, Path file, Watch watch) throws IOException {
        Path rel = root.relativize(file);
        int n = rel.getNameCount();
        if (n == 0 || rel.toString().isEmpty() || rel.startsWith("..")) {
            throw new Refused(file + " is not inside " + root);
        }
        Path parent = rel.getParent();
        Held held = this.held.get(Thread.currentThread());
        if (held == null || !held.root.equals(root) || !java.util.Objects.equals(held.parent, parent)) {
            if (held != null) {
                this.held.remove(Thread.currentThread());
                held.dir.close();
            }
            SecureDirectoryStream<Path> dir = openFolder(root, rel, file);
            if (dir == null) {
                return openPlain(file); // no openat here (not Linux): the last element is not followed
            }
            held = new Held(root, parent, dir);
            this.held.put(Thread.currentThread(), held);
        }
        return watch == null
                ? openIn(held, rel.getName(n - 1), file)
                : openWatched(held, rel.getName(n - 1), file, watch);
    }

    /**
     * Closes the folder handles kept for the calling threads' next opens; call when no open is
     * running (the vault does when it releases the writer lock).
     */
    void release() {
        for (Thread t : List.copyOf(held.keySet())) {
            Held h = held.remove(t);
            if (h != null) {
                try {
                    h.dir.close();
                } catch (IOException ignored) {
                    // closing a folder handle
                }
            }
        }
    }

    /**
     * Each thread keeps the folder of its last open (files are stored in walk order, so the next
     * one is most often in the same folder): one {@code openat} per folder, not per element of
     * every file's path. A kept handle is the folder as it was opened, whatever is renamed later.
     */
    private static final class Held {
        final Path root;
        final Path parent;
        final SecureDirectoryStream<Path> dir;

        Held(Path root, Path parent, SecureDirectoryStream<Path> dir) {
            this.root = root;
            this.parent = parent;
            this.dir = dir;
        }
    }

    private final Map<Thread, Held> held = new ConcurrentHashMap<>();

    /** The folder holding {@code rel}'s last element, reached from {@code root} without following a link; null without openat. */
    private static SecureDirectoryStream<Path> openFolder(Path root, Path rel, Path file) throws IOException {
        DirectoryStream<Path> top;
        try {
            top = Files.newDirectoryStream(root);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new Refused("cannot open the source folder " + root + ": " + reason(e));
        }
        if (!(top instanceof SecureDirectoryStream<Path> dir)) {
            top.close();
            return null;
        }
        SecureDirectoryStream<Path> at = dir;
        boolean ok = false;
        try {
            for (int i = 0; i < rel.getNameCount() - 1; i++) {
                Path name = rel.getName(i);
                SecureDirectoryStream<Path> next;
                try {
                    next = at.newDirectoryStream(name, NOFOLLOW);
                } catch (NoSuchFileException e) {
                    throw e;
                } catch (IOException e) {
                    throw refusal(at, name, file, e);
                }
                at.close();
                at = next;
            }
            ok = true;
            return at;
        } finally {
            if (!ok) {
                at.close();
            }
        }
    }

    /**
     * The open a worker thread is doing right now, for the thread that waits for the worker's
     * result: one per task, written by the worker (volatile fields, no lock), read by the waiter.
     */
    final class Watch {
        private volatile SecureDirectoryStream<Path> dir;
        private volatile Path name;
        private volatile Thread thread;
        private volatile long since; // System.nanoTime() when the open began, 0 when none runs
        private final AtomicBoolean abandoned = new AtomicBoolean();

        private void begin(SecureDirectoryStream<Path> dir, Path name) {
            this.dir = dir;
            this.name = name;
            this.thread = Thread.currentThread();
            long now = System.nanoTime();
            this.since = now == 0 ? 1 : now;
        }

        private void end() {
            since = 0;
        }

        /** How long the current open has taken so far, or null when no open runs. */
        Duration opening() {
            long at = since;
            return at == 0 ? null : Duration.ofNanos(System.nanoTime() - at);
        }

        /** Opens the entry being opened for writing when it is a FIFO, so that the stuck open returns. */
        void nudge() {
            SecureDirectoryStream<Path> d = dir;
            Path n = name;
            if (since != 0 && d != null && n != null) {
                unblock(d, n);
            }
        }

        /**
         * Gives the open up: the waiter goes on without this file (the worker thread stays blocked in
         * the kernel; whatever it opens later is closed and refused). Its folder handle is dropped,
         * never closed: the JDK holds the handle's lock during an open, so closing it would wait as
         * long. Returns false when the open ended meanwhile.
         */
        boolean abandon() {
            if (since == 0 || !abandoned.compareAndSet(false, true)) {
                return false;
            }
            Thread t = thread;
            if (t != null) {
                Held h = held.get(t);
                if (h != null && h.dir == dir) {
                    held.remove(t, h);
                }
            }
            return true;
        }

        boolean abandoned() {
            return abandoned.get();
        }
    }

    /** A watch for one task's open (see {@link #open(Path, Path, Watch)}). */
    Watch watch() {
        return new Watch();
    }

    private Opened openWatched(Held held, Path name, Path file, Watch watch) throws IOException {
        SecureDirectoryStream<Path> dir = held.dir;
        SeekableByteChannel ch;
        watch.begin(dir, name);
        try {
            ch = dir.newByteChannel(name, READ);
        } catch (NoSuchFileException gone) {
            throw gone;
        } catch (IOException e) {
            throw refusal(dir, name, file, e);
        } finally {
            watch.end();
        }
        if (watch.abandoned()) { // given up while it waited: the waiter went on without it
            ch.close();
            throw new Refused(file + " did not open within " + GIVE_UP.toSeconds()
                    + " s (a FIFO or device swapped in?); skipped");
        }
        return checked(ch, file);
    }

    private Opened openIn(Held held, Path name, Path file) throws IOException {
        SecureDirectoryStream<Path> dir = held.dir;
        AtomicBoolean abandoned = new AtomicBoolean();
        Future<SeekableByteChannel> opening = openers.submit(() -> {
            SeekableByteChannel c = dir.newByteChannel(name, READ);
            if (abandoned.get()) {
                c.close();
            }
            return c;
        });
        SeekableByteChannel ch = null;
        long deadline = System.nanoTime() + GIVE_UP.toNanos();
        try {
            while (ch == null) {
                try {
                    ch = opening.get(FIFO_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException slow) {
                    if (System.nanoTime() - deadline > 0) {
                        abandon(held, abandoned, opening);
                        throw new Refused(file + " did not open within " + GIVE_UP.toSeconds()
                                + " s (a FIFO or device swapped in?); skipped");
                    }
                    unblock(dir, name);
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NoSuchFileException gone) {
                throw gone;
            }
            throw refusal(dir, name, file, e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        } catch (InterruptedException e) {
            abandon(held, abandoned, opening);
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while opening " + file);
        }
        if (abandoned.get()) { // lost the race with the worker: it closed the channel
            throw new Refused(file + " did not open in time; skipped");
        }
        return checked(ch, file);
    }

    /** The opened entry as a regular file, or refused (and closed) when it is a FIFO or socket. */
    private static Opened checked(SeekableByteChannel ch, Path file) throws IOException {
        boolean ok = false;
        try {
            if (!(ch instanceof FileChannel fc)) {
                throw new Refused(file + ": not a file channel; skipped");
            }
            try {
                fc.position(); // a FIFO or socket cannot seek
            } catch (IOException e) {
                throw new Refused(file + " was replaced by a FIFO or socket while being stored; skipped");
            }
            Opened o = new Opened(fc, fc.size());
            ok = true;
            return o;
        } finally {
            if (!ok) {
                ch.close();
            }
        }
    }

    /**
     * Leaves an open that is stuck in the kernel. Its folder handle is dropped, never closed: the
     * JDK holds the handle's lock during an open, so closing it would wait as long.
     */
    private void abandon(Held h, AtomicBoolean abandoned, Future<?> opening) {
        abandoned.set(true);
        opening.cancel(false);
        held.remove(Thread.currentThread(), h);
    }

    /**
     * Opens {@code name}, when it is a FIFO, for writing and closes it, on a throw-away thread (the
     * entry may have changed meanwhile, and then that open may wait too).
     */
    private static void unblock(SecureDirectoryStream<Path> dir, Path name) {
        // its own handle of the folder: the JDK holds a handle's lock while opening through it,
        // and this open may never return
        SecureDirectoryStream<Path> own;
        try {
            own = dir.newDirectoryStream(Path.of("."), NOFOLLOW);
        } catch (IOException | RuntimeException e) {
            return;
        }
        Thread t = new Thread(
                () -> {
                    try (own) {
                        BasicFileAttributes a = own.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
                                .readAttributes();
                        if (a.isOther()) {
                            own.newByteChannel(name, WRITE).close();
                        }
                    } catch (IOException | RuntimeException ignored) {
                        // gone: the open it waited for has ended one way or another
                    }
                },
                "lifeline-vault-fifo-unblock");
        t.setDaemon(true);
        t.start();
    }

    private static Opened openPlain(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
        if (!a.isRegularFile()) {
            throw new Refused(file + " is " + kind(a) + ", not a regular file any more; skipped");
        }
        try {
            FileChannel fc = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            return new Opened(fc, fc.size());
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new Refused(file + " cannot be read: " + reason(e) + "; skipped");
        }
    }

    /** Why {@code name} in {@code dir} did not open: a link, another kind, or the error. */
    private static IOException refusal(SecureDirectoryStream<Path> dir, Path name, Path file, IOException e) {
        try {
            BasicFileAttributes a = dir.getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
                    .readAttributes();
            if (a.isSymbolicLink()) {
                return new Refused((name.equals(file.getFileName()) ? file : dir.toString() + "/" + name)
                        + " was replaced by a symbolic link while being stored; not followed, " + file + " skipped");
            }
        } catch (NoSuchFileException gone) {
            return gone;
        } catch (IOException | RuntimeException ignored) {
            // report the open's own error
        }
        return new Refused(file + " cannot be read: " + reason(e) + "; skipped");
    }

    private static String kind(BasicFileAttributes a) {
        return a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a folder" : "a FIFO, socket or device";
    }

    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
