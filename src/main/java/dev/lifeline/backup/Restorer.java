package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Writes a snapshot's files under a target folder. Every manifest path is checked before
 * anything is written (no absolute paths, no {@code ..}, nothing under a link entry, no folder of
 * the target that is a link); every write goes through folder handles that never follow a link
 * ({@link TargetTree}). Each file is written to a private temp name and its SHA-256 checked, then
 * given the manifest's mtime and mode.
 *
 * <p>A file gets its name only once its data is on disk, so after a power cut every restored name
 * holds its whole file. Rather than one fsync per file (the hashing threads would wait on the
 * disk), checked files wait for a flush: each 128 MiB or 10,000 files, a background thread runs
 * one {@code syncfs} and then renames every file written before it began. The disk writes while
 * the next files are hashed.
 *
 * <p>A file whose object is missing, corrupt or unreadable is not written and is reported in
 * {@link RestoreResult#unrestored()}; the others are restored. Temp files a killed restore left
 * ({@code .lifeline-restore-*}) in the folders it writes to are removed first, and files that
 * already hold their snapshot content bit for bit (same size and SHA-256) are left as they are,
 * so a restore run again after an interruption resumes without {@code --overwrite}.
 */
final class Restorer {
    /** A flush starts once this many bytes, or {@link #FLUSH_FILES} files, wait for their names. */
    static final long FLUSH_BYTES = 128L << 20;

    static final int FLUSH_FILES = 10_000;

    /** A checked file under its temp name in its folder, and the name it gets once its data is on disk. */
    private record Written(String dirRel, SecureDirectoryStream<Path> dir, String tmp, String name, long size) {}

    /** What became of one file: its bytes, or why it could not be restored. */
    private record Outcome(long bytes, RestoreResult.Unrestored failed) {}

    private final SnapshotSource source;
    private final EventListener events;
    private final ExecutorService pool;
    private final long flushBytes;
    private final int flushFiles;

    private final Set<String> touchedDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // guarded by this: the checked files waiting for a flush, and the flush under way
    private final List<Written> waiting = new ArrayList<>();
    private long waitingBytes;
    private Future<?> flushing;
    private Throwable flushFailure;
    /** Set when the restore fails: files not started are skipped, finished ones deleted. */
    private volatile boolean abandoned;

    private ExecutorService flusher;
    private TargetTree tree;

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

    RestoreResult restore(Manifest m, List<String> patterns, Path target, boolean overwrite)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        String snapshotId = m.id();
        List<FileEntry> chosen = select(m.files(), patterns);
        if (chosen.isEmpty()) {
            throw new LifelineException(
                    "nothing in snapshot " + snapshotId + " matches " + String.join(" ", patterns),
                    "list what it holds with 'lifeline backup ls " + snapshotId + "'");
        }
        // check every path before touching the target
        Set<String> links = new java.util.HashSet<>();
        for (FileEntry f : m.files()) {
            if (f.link() != null) {
                links.add(f.path());
            }
        }
        Map<String, List<FileEntry>> byDir = new TreeMap<>();
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
            if (why != null) {
                throw new LifelineException(
                        "refusing to restore snapshot " + snapshotId + ": entry '" + f.path() + "' " + why,
                        "the manifest was altered or is malicious; nothing was written. Run 'lifeline backup verify'");
            }
            byDir.computeIfAbsent(TargetTree.parent(f.path()), k -> new ArrayList<>())
                    .add(f);
        }
        Files.createDirectories(target);
        try (TargetTree t = TargetTree.open(target.toRealPath())) {
            t.lock();
            this.tree = t;
            return restoreInto(snapshotId, chosen, byDir, overwrite, t0);
        } finally {
            this.tree = null;
        }
    }

    private RestoreResult restoreInto(
            String snapshotId, List<FileEntry> chosen, Map<String, List<FileEntry>> byDir, boolean overwrite, long t0)
            throws IOException, InterruptedException {
        Path root = tree.root();
        // the folders that exist: none may be a link; leftovers of a killed restore go; names already there are
        // either this snapshot's content (kept) or conflicts
        int leftovers = 0;
        if (!byDir.containsKey("")) {
            leftovers += TargetTree.removeLeftovers(tree.rootDir(), TargetTree.list(tree.rootDir()));
        }
        List<FileEntry> present = new ArrayList<>();
        for (Map.Entry<String, List<FileEntry>> e : byDir.entrySet()) {
            SecureDirectoryStream<Path> dir;
            try {
                dir = tree.openExisting(e.getKey());
            } catch (TargetTree.Blocked b) {
                throw refusedFolder(e.getValue().get(0), b);
            }
            if (dir == null) {
                continue; // made when its first file is written
            }
            List<String> names = TargetTree.list(dir);
            leftovers += TargetTree.removeLeftovers(dir, names);
            Set<String> there = new java.util.HashSet<>(names);
            for (FileEntry f : e.getValue()) {
                if (there.contains(TargetTree.name(f.path()))) {
                    present.add(f);
                }
            }
        }
        if (leftovers > 0) {
            events.onEvent(Event.of(
                    "backup",
                    "restore-leftovers",
                    Event.Level.INFO,
                    "removed " + leftovers + (leftovers == 1 ? " temp file" : " temp files")
                            + " an interrupted restore left in " + root,
                    Map.of("files", leftovers)));
        }
        Set<String> same = alreadyRestored(present);
        List<String> conflicts = new ArrayList<>();
        for (FileEntry f : present) {
            if (!same.contains(f.path())) {
                conflicts.add(f.path());
            }
        }
        if (!conflicts.isEmpty() && !overwrite) {
            throw new LifelineException(
                    conflicts.size() + (conflicts.size() == 1 ? " file already exists" : " files already exist")
                            + " under "
                            + root + " with other content, such as "
                            + String.join(", ", conflicts.subList(0, Math.min(3, conflicts.size()))),
                    "restore into an empty folder, or add --overwrite to replace them; nothing was written");
        }
        // missing folders are made when their first file is written, as a plain restore would: the
        // file system then places each folder's files as it fills (made all at once up front,
        // restores on ext4 spent a third more system time allocating inodes)

        flusher = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "lifeline-restore-flush");
            th.setDaemon(true);
            return th;
        });
        List<Future<Outcome>> futures = new ArrayList<>();
        List<RestoreResult.Unrestored> unrestored = new ArrayList<>();
        long bytes = 0;
        long files = 0;
        boolean ok = false;
        try {
            for (FileEntry f : chosen) {
                if (!same.contains(f.path())) {
                    futures.add(pool.submit(() -> writeOne(f)));
                }
            }
            long done = 0;
            for (Future<Outcome> fu : futures) {
                Outcome o;
                try {
                    o = fu.get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof LifelineException le) {
                        throw le;
                    }
                    throw c instanceof IOException io ? io : new IOException(c);
                }
                if (o.failed() != null) {
                    unrestored.add(o.failed());
                } else {
                    bytes += o.bytes();
                    files++;
                }
                if (++done % 200 == 0) {
                    events.onEvent(Event.of(
                            "backup",
                            "progress",
                            Event.Level.INFO,
                            "restored " + done + "/" + futures.size() + " files",
                            Map.of("done", done, "total", futures.size(), "bytes", bytes)));
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
        // the names, once per folder: restored files survive a power cut
        for (String rel : touchedDirs) {
            TargetTree.fsyncDir(tree.dir(rel));
        }
        unrestored.sort(java.util.Comparator.comparing(RestoreResult.Unrestored::path));
        return new RestoreResult(
                snapshotId,
                root,
                files,
                bytes,
                java.time.Duration.ofNanos(System.nanoTime() - t0),
                same.size(),
                leftovers,
                unrestored);
    }

    private static LifelineException refusedFolder(FileEntry f, TargetTree.Blocked b) {
        return new LifelineException(
                "refusing to restore '" + f.path() + "': " + b.getMessage() + "; restore never writes through a link",
                "remove it, or restore into an empty folder; nothing was written");
    }

    /**
     * Of the entries whose name exists in the target, those that already hold the snapshot's
     * content: a regular file of the same size and SHA-256, or a link to the same target.
     */
    private Set<String> alreadyRestored(List<FileEntry> present) throws IOException, InterruptedException {
        List<Future<Boolean>> checks = new ArrayList<>();
        for (FileEntry f : present) {
            checks.add(pool.submit(() -> holds(f)));
        }
        Set<String> same = new java.util.HashSet<>();
        for (int i = 0; i < checks.size(); i++) {
            try {
                if (checks.get(i).get()) {
                    same.add(present.get(i).path());
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
        return same;
    }

    private boolean holds(FileEntry f) throws IOException {
        SecureDirectoryStream<Path> dir = tree.dir(TargetTree.parent(f.path()));
        String name = TargetTree.name(f.path());
        java.nio.file.attribute.BasicFileAttributes a = TargetTree.stat(dir, name);
        if (a == null) {
            return false;
        }
        if (f.link() != null) {
            if (!a.isSymbolicLink()) {
                return false;
            }
            Path got = Files.readSymbolicLink(Names.resolve(tree.root(), f.path()));
            return Names.needsBytes(f.link())
                    ? got.equals(Names.target(f.link())) // a path compares by its bytes
                    : got.toString().equals(f.link());
        }
        if (!a.isRegularFile() || a.size() != f.size()) {
            return false;
        }
        MessageDigest md = ObjectStore.sha256();
        java.nio.ByteBuffer buf = ObjectStore.BUFFERS.get();
        try (java.nio.channels.SeekableByteChannel in = TargetTree.read(dir, name)) {
            while (true) {
                buf.clear();
                if (in.read(buf) < 0) {
                    break;
                }
                buf.flip();
                md.update(buf);
            }
        } catch (java.nio.file.FileSystemException e) {
            return false; // unreadable or swapped for a link: not ours to keep
        }
        if (!ObjectStore.hex(md.digest()).equals(f.sha256())) {
            return false;
        }
        // the content is the snapshot's: only its mode and time may be left to set (a restore killed
        // midway named its files only once they had both, so this is for a file copied by hand)
        if (a instanceof java.nio.file.attribute.PosixFileAttributes px && mode(px.permissions()) != f.mode()) {
            TargetTree.chmod(dir, name, f.mode());
        }
        if (a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) != f.mtimeNanos()) {
            tree.setMtime(TargetTree.parent(f.path()), name, f.mtimeNanos());
        }
        return true;
    }

    /** The folder of {@code f}, made (with the missing ones above it) if it is not there yet. */
    private SecureDirectoryStream<Path> folder(FileEntry f, String rel) throws IOException {
        SecureDirectoryStream<Path> dir = tree.opened().get(rel);
        if (dir != null) {
            return dir;
        }
        try {
            return tree.make(rel, made -> touchedDirs.add(TargetTree.parent(made)));
        } catch (TargetTree.Blocked b) {
            throw new LifelineException( // a link swapped in since the check: this restore stops
                    "refusing to restore '" + f.path() + "': " + b.getMessage()
                            + " (it became one during the restore); restore never writes through a link",
                    "find out who changes the target; files already restored are whole and checked");
        }
    }

    private Outcome failed(FileEntry f, String problem) {
        return new Outcome(0, new RestoreResult.Unrestored(f.path(), f.sha256(), problem, List.of()));
    }

    private Outcome writeOne(FileEntry f) throws IOException {
        if (abandoned) {
            return new Outcome(0, null); // the restore failed: files not yet started are not written
        }
        String dirRel = TargetTree.parent(f.path());
        SecureDirectoryStream<Path> dir = folder(f, dirRel);
        String name = TargetTree.name(f.path());
        if (f.link() != null) {
            return writeLink(f, dirRel, dir, name);
        }
        String tmp = TargetTree.tempName();
        MessageDigest md = ObjectStore.sha256();
        java.nio.ByteBuffer buf = ObjectStore.BUFFERS.get();
        long n = 0;
        boolean ok = false;
        java.nio.channels.ReadableByteChannel in;
        try {
            in = source.openObjectChannel(f.sha256());
        } catch (java.nio.file.NoSuchFileException e) {
            return failed(f, "object missing from " + source.describe());
        } catch (IOException e) {
            return failed(f, "object unreadable: " + e.getMessage());
        }
        try {
            try (in;
                    java.nio.channels.SeekableByteChannel out = TargetTree.create(dir, tmp, f.mode())) {
                while (true) {
                    buf.clear();
                    int r;
                    try {
                        r = in.read(buf);
                    } catch (IOException e) {
                        return failed(f, "object unreadable: " + e.getMessage());
                    }
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
            }
            String got = ObjectStore.hex(md.digest());
            if (!got.equals(f.sha256())) {
                return failed(f, "object corrupt (its content hashes to " + got + ")");
            }
            // the time first: the mode may take away the read access its setting needs
            tree.setMtime(dirRel, tmp, f.mtimeNanos());
            if (tree.needsChmod(f.mode())) {
                try {
                    TargetTree.chmod(dir, tmp, f.mode());
                } catch (UnsupportedOperationException e) {
                    // not POSIX
                }
            }
            written(new Written(dirRel, dir, tmp, name, n));
            ok = true;
        } finally {
            if (!ok) {
                TargetTree.deleteQuietly(dir, tmp);
            }
        }
        return new Outcome(n, null);
    }

    /**
     * After a failure: files not started are skipped, the few being written finish and are
     * deleted, a running flush completes (its files are whole and checked), and every temp file
     * still waiting goes. No temp file is left behind, and nothing is written after this returns.
     */
    private void abandon(List<Future<Outcome>> futures) {
        abandoned = true;
        try {
            for (Future<Outcome> fu : futures) {
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
                TargetTree.deleteQuietly(w.dir(), w.tmp()); // best effort: the failure being reported matters more
            }
            waiting.clear();
        }
    }

    /** Queues a checked file for its name; starts a flush when enough waits and none is running. */
    private synchronized void written(Written w) throws IOException {
        if (abandoned) {
            TargetTree.deleteQuietly(w.dir(), w.tmp());
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
        int renamed = 0;
        try {
            if (!Durable.syncFileSystem(tree.root())) {
                for (Written w : batch) {
                    TargetTree.fsync(w.dir(), w.tmp());
                }
            }
            for (Written w : batch) {
                TargetTree.rename(w.dir(), w.tmp(), w.dir(), w.name());
                renamed++;
                touchedDirs.add(w.dirRel());
            }
            moved = true;
        } catch (IOException e) {
            Written w = batch.get(renamed);
            throw new IOException(
                    "cannot give "
                            + Names.resolve(tree.root(), w.dirRel().isEmpty() ? w.name() : w.dirRel() + "/" + w.name())
                            + " its name: " + e.getMessage(),
                    e);
        } finally {
            if (!moved) {
                for (Written w : batch.subList(renamed, batch.size())) {
                    TargetTree.deleteQuietly(w.dir(), w.tmp());
                }
            }
        }
    }

    /**
     * A symbolic link is made as it was (its target is not followed, checked or rewritten; links
     * are never written through, since no entry may lie under one), after its object is checked:
     * at the root under a temp name, then renamed into its folder by handle.
     */
    private Outcome writeLink(FileEntry f, String dirRel, SecureDirectoryStream<Path> dir, String name)
            throws IOException {
        byte[] target;
        try (InputStream in = source.openObject(f.sha256())) {
            target = in.readAllBytes();
        } catch (java.nio.file.NoSuchFileException e) {
            return failed(f, "object missing from " + source.describe());
        } catch (IOException e) {
            return failed(f, "object unreadable: " + e.getMessage());
        }
        String got = ObjectStore.hex(ObjectStore.sha256().digest(target));
        if (!got.equals(f.sha256())) {
            return failed(f, "object corrupt (its content hashes to " + got + ")");
        }
        String tmp = tree.makeLinkAtRoot(Names.target(Names.decode(target)), f.mtimeNanos());
        boolean moved = false;
        try {
            TargetTree.rename(tree.rootDir(), tmp, dir, name);
            moved = true;
        } finally {
            if (!moved) {
                TargetTree.deleteQuietly(tree.rootDir(), tmp);
            }
        }
        touchedDirs.add(dirRel);
        return new Outcome(target.length, null);
    }

    static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
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
