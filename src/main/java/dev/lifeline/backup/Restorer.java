package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Writes a snapshot's files under a target folder. Every manifest path is checked before
 * anything is written (no absolute paths, no {@code ..}, nothing through a symlink out of the
 * target); existing files are left alone unless overwriting was asked for; each file is written
 * to a temp name and its SHA-256 checked.
 *
 * <p>A file gets its name only once its data is on disk, so after a power cut every restored name
 * holds its whole file. Rather than one fsync per file (the hashing threads would wait on the
 * disk), checked files wait for a flush: each 128 MiB or 10,000 files, a background thread runs
 * one {@code syncfs} and then renames every file written before it began. The disk writes while
 * the next files are hashed.
 */
final class Restorer {
    /** A flush starts once this many bytes, or {@link #FLUSH_FILES} files, wait for their names. */
    static final long FLUSH_BYTES = 128L << 20;

    static final int FLUSH_FILES = 10_000;

    /** A checked file under its temp name, and the name it gets once its data is on disk. */
    private record Written(Path tmp, Path dest, long size) {}

    private final SnapshotSource source;
    private final EventListener events;
    private final ExecutorService pool;
    private final long flushBytes;
    private final int flushFiles;

    private final Set<Path> touchedDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<Path> madeDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<Path> checkedDirs = new java.util.HashSet<>();
    // guarded by this: the checked files waiting for a flush, and the flush under way
    private final List<Written> waiting = new ArrayList<>();
    private long waitingBytes;
    private Future<?> flushing;
    private Throwable flushFailure;
    /** Set when the restore fails: files not started are skipped, finished ones deleted. */
    private volatile boolean abandoned;

    private ExecutorService flusher;
    private Path root;

    Restorer(SnapshotSource source, EventListener events, ExecutorService pool, long flushBytes, int flushFiles) {
        this.source = source;
        this.events = events;
        this.pool = pool;
        this.flushBytes = flushBytes;
        this.flushFiles = flushFiles;
    }

    /** Entries matching any of {@code patterns}: a glob, or a path prefix; none means all. */
    static List<FileEntry> select(List<FileEntry> files, List<String> patterns) {
        return Glob.select(files, patterns); // the matcher backup.exclude uses, so a glob means the same
    }

    /** Null when {@code path} is a safe relative path, else why not. */
    static String unsafe(String path) {
        if (path.isEmpty() || path.indexOf('\0') >= 0) {
            return "empty or contains NUL";
        }
        if (path.startsWith("/") || path.startsWith("\\") || path.matches("^[A-Za-z]:.*")) {
            return "absolute path";
        }
        for (String seg : path.split("[/\\\\]", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                return "contains '" + (seg.isEmpty() ? "//" : seg) + "'";
            }
        }
        return null;
    }

    RestoreResult restore(String snapshotId, List<String> patterns, Path target, boolean overwrite)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Manifest m = source.manifest(snapshotId);
        List<FileEntry> chosen = select(m.files(), patterns);
        if (chosen.isEmpty()) {
            throw new LifelineException(
                    "nothing in snapshot " + snapshotId + " matches " + String.join(" ", patterns),
                    "list what it holds with 'lifeline backup ls " + snapshotId + "'");
        }
        Files.createDirectories(target);
        Path root = target.toRealPath();
        // check everything before writing anything
        List<String> conflicts = new ArrayList<>();
        Set<String> links = new java.util.HashSet<>();
        for (FileEntry f : m.files()) {
            if (f.link() != null) {
                links.add(f.path());
            }
        }
        for (FileEntry f : chosen) {
            String why = unsafe(f.path());
            if (why == null && !links.isEmpty()) {
                for (int slash = f.path().indexOf('/');
                        slash > 0;
                        slash = f.path().indexOf('/', slash + 1)) {
                    if (links.contains(f.path().substring(0, slash))) {
                        why = "lies under the symbolic link " + f.path().substring(0, slash);
                        break;
                    }
                }
            }
            Path dest = why == null ? root.resolve(f.path()).normalize() : null;
            if (why == null && !dest.startsWith(root)) {
                why = "escapes the target";
            }
            if (why != null) {
                throw new LifelineException(
                        "refusing to restore snapshot " + snapshotId + ": entry '" + f.path() + "' " + why,
                        "the manifest was altered or is malicious; nothing was written. Run 'lifeline backup verify'");
            }
            if (checkedDirs.add(dest.getParent())) {
                Path parent = existingAncestor(dest.getParent());
                if (!parent.toRealPath().startsWith(root)) {
                    throw new LifelineException(
                            "refusing to restore '" + f.path() + "': " + parent + " is a link out of " + root,
                            "remove the link or restore into an empty folder; nothing was written");
                }
            }
            if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
                conflicts.add(f.path());
            }
        }
        if (!conflicts.isEmpty() && !overwrite) {
            throw new LifelineException(
                    conflicts.size() + " file(s) already exist under " + root + ", such as "
                            + String.join(", ", conflicts.subList(0, Math.min(3, conflicts.size()))),
                    "restore into an empty folder, or add --overwrite to replace them; nothing was written");
        }
        this.root = root;
        flusher = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lifeline-restore-flush");
            t.setDaemon(true);
            return t;
        });
        List<Future<Long>> futures = new ArrayList<>();
        long bytes = 0;
        boolean ok = false;
        try {
            for (FileEntry f : chosen) {
                futures.add(pool.submit(() -> writeOne(f, root)));
            }
            long done = 0;
            for (Future<Long> fu : futures) {
                try {
                    bytes += fu.get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof LifelineException le) {
                        throw le;
                    }
                    throw c instanceof IOException io ? io : new IOException(c);
                }
                if (++done % 200 == 0) {
                    events.onEvent(Event.of(
                            "backup",
                            "progress",
                            Event.Level.INFO,
                            "restored " + done + "/" + chosen.size() + " files",
                            Map.of("done", done, "total", chosen.size(), "bytes", bytes)));
                }
            }
            finishFlushing();
            ok = true;
        } finally {
            if (!ok) {
                abandon(futures);
            }
            flusher.shutdown();
        }
        // the names, once per folder up to the target: restored files survive a power cut
        Set<Path> dirs = new java.util.HashSet<>();
        for (Path dir : touchedDirs) {
            Path d = dir;
            while (d != null && d.startsWith(root) && dirs.add(d)) {
                d = d.getParent();
            }
        }
        for (Path dir : dirs) {
            Durable.fsyncDir(dir);
        }
        return new RestoreResult(
                snapshotId, root, chosen.size(), bytes, java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    private static Path existingAncestor(Path p) {
        Path q = p;
        while (q != null && !Files.exists(q)) {
            q = q.getParent();
        }
        return q;
    }

    private long writeOne(FileEntry f, Path root) throws IOException {
        if (abandoned) {
            return 0; // the restore failed: files not yet started are not written
        }
        Path dest = root.resolve(f.path()).normalize();
        Path dir = dest.getParent();
        if (!madeDirs.contains(dir)) {
            Files.createDirectories(dir);
            if (!dir.toRealPath().startsWith(root)) {
                throw new LifelineException(
                        "refusing to restore '" + f.path() + "': its folder leads out of " + root, null);
            }
            madeDirs.add(dir);
        }
        Path tmp = dir.resolve(".lifeline-restore-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        if (f.link() != null) {
            return writeLink(f, dest, tmp);
        }
        MessageDigest md = ObjectStore.sha256();
        java.nio.ByteBuffer buf = ObjectStore.BUFFERS.get();
        long n = 0;
        boolean ok = false;
        try {
            try (java.nio.channels.ReadableByteChannel in = source.openObjectChannel(f.sha256());
                    java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                            tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (true) {
                    buf.clear();
                    int r = in.read(buf);
                    if (r < 0) {
                        break;
                    }
                    buf.flip();
                    md.update(buf);
                    buf.rewind();
                    while (buf.hasRemaining()) {
                        out.write(buf);
                    }
                    n += r;
                }
            } catch (java.nio.file.NoSuchFileException e) {
                throw new LifelineException(
                        "object " + f.sha256() + " for " + f.path() + " is missing from " + source.describe(),
                        "run 'lifeline backup verify' to see every affected file");
            }
            String got = ObjectStore.hex(md.digest());
            if (!got.equals(f.sha256())) {
                throw new LifelineException(
                        "object " + f.sha256() + " for " + f.path() + " is corrupt (its content hashes to " + got + ")",
                        "run 'lifeline backup verify'; restore this file from an older snapshot or the remote");
            }
            Files.setLastModifiedTime(tmp, FileTime.from(f.mtimeNanos(), TimeUnit.NANOSECONDS));
            try {
                Files.setPosixFilePermissions(tmp, perms(f.mode()));
            } catch (UnsupportedOperationException e) {
                // not POSIX
            }
            written(new Written(tmp, dest, n));
            ok = true;
        } finally {
            if (!ok) {
                Files.deleteIfExists(tmp);
            }
        }
        return n;
    }

    /**
     * After a failure: files not started are skipped, the few being written finish and are
     * deleted, a running flush completes (its files are whole and checked), and every temp file
     * still waiting goes. No temp file is left behind, and nothing is written after this returns.
     */
    private void abandon(List<Future<Long>> futures) {
        abandoned = true;
        try {
            for (Future<Long> fu : futures) {
                try {
                    fu.get();
                } catch (ExecutionException e) {
                    // the first failure is the one reported
                }
            }
            awaitFlush(); // a flush that fails deletes its own temp files
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Written w : waiting) {
                try {
                    Files.deleteIfExists(w.tmp());
                } catch (IOException e) {
                    // best effort: the failure being reported matters more
                }
            }
            waiting.clear();
        }
    }

    /** Queues a checked file for its name; starts a flush when enough waits and none is running. */
    private synchronized void written(Written w) throws IOException {
        if (abandoned) {
            Files.deleteIfExists(w.tmp());
            return;
        }
        waiting.add(w);
        waitingBytes += w.size();
        if ((waitingBytes >= flushBytes || waiting.size() >= flushFiles)
                && (flushing == null || flushing.isDone())
                && flushFailure == null) {
            List<Written> batch = takeWaiting();
            flushing = flusher.submit(() -> {
                try {
                    flush(batch);
                } catch (IOException | RuntimeException e) {
                    synchronized (this) {
                        flushFailure = e; // reported when the restore ends; no flush starts after it
                    }
                    throw e;
                }
                return null;
            });
        }
    }

    private synchronized List<Written> takeWaiting() {
        List<Written> batch = new ArrayList<>(waiting);
        waiting.clear();
        waitingBytes = 0;
        return batch;
    }

    /** Waits for the running flush, if any (a failure is kept in {@link #flushFailure}). */
    private void awaitFlush() throws InterruptedException {
        Future<?> running;
        synchronized (this) {
            running = flushing;
        }
        if (running != null) {
            try {
                running.get();
            } catch (ExecutionException e) {
                // recorded by the flush itself
            }
        }
    }

    /** The running flush, then one for the files still waiting; any flush's failure is thrown. */
    private void finishFlushing() throws IOException, InterruptedException {
        awaitFlush();
        Throwable failed;
        synchronized (this) {
            failed = flushFailure;
        }
        if (failed != null) {
            throw failed instanceof IOException io ? io : new IOException(failed);
        }
        flush(takeWaiting());
    }

    /**
     * Puts {@code batch} on disk (one syncfs; an fsync per file where there is none), then gives
     * each file its name. Everything in the batch was written before this began.
     */
    private void flush(List<Written> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        boolean moved = false;
        try {
            if (!Durable.syncFileSystem(root)) {
                for (Written w : batch) {
                    Durable.fsync(w.tmp());
                }
            }
            for (Written w : batch) {
                Durable.move(w.tmp(), w.dest());
                touchedDirs.add(w.dest().getParent());
            }
            moved = true;
        } finally {
            if (!moved) {
                for (Written w : batch) {
                    Files.deleteIfExists(w.tmp());
                }
            }
        }
    }

    /**
     * A symbolic link is made as it was (its target is not followed, checked or rewritten; links
     * are never written through, since no entry may lie under one), after its object is checked.
     */
    private long writeLink(FileEntry f, Path dest, Path tmp) throws IOException {
        byte[] target;
        try (InputStream in = source.openObject(f.sha256())) {
            target = in.readAllBytes();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LifelineException(
                    "object " + f.sha256() + " for " + f.path() + " is missing from " + source.describe(),
                    "run 'lifeline backup verify' to see every affected file");
        }
        String got = ObjectStore.hex(ObjectStore.sha256().digest(target));
        if (!got.equals(f.sha256())) {
            throw new LifelineException(
                    "object " + f.sha256() + " for " + f.path() + " is corrupt (its content hashes to " + got + ")",
                    "run 'lifeline backup verify'; restore this file from an older snapshot or the remote");
        }
        Files.createSymbolicLink(tmp, Path.of(new String(target, java.nio.charset.StandardCharsets.UTF_8)));
        try {
            // the link's own time (lutimes), not its target's
            Files.getFileAttributeView(
                            tmp, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(f.mtimeNanos(), TimeUnit.NANOSECONDS), null, null);
        } catch (UnsupportedOperationException | IOException e) {
            // a file system without lutimes: the link keeps the time of the restore
        }
        try {
            Durable.move(tmp, dest);
        } finally {
            Files.deleteIfExists(tmp);
        }
        touchedDirs.add(dest.getParent());
        return target.length;
    }

    static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (1 << (8 - p.ordinal()))) != 0) {
                s.add(p);
            }
        }
        return s;
    }
}
