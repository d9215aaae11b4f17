package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Writes a snapshot's files under a target folder, as {@link RestorePlan} decided (every manifest
 * path checked before anything is written; the target's leftovers removed, what it already holds
 * kept, a conflict refused without {@code --overwrite}). Every write goes through folder handles
 * that never follow a link ({@link TargetTree}). Each file is written to a private temp name while
 * its SHA-256 is computed, checked, given the manifest's mtime and mode, and then waits for its
 * name ({@link NameFlush}: names only once the data is on disk). Reports progress every 200 files.
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

    /** What became of one file: its bytes, or why it could not be restored. */
    private record Outcome(long bytes, RestoreResult.Unrestored failed) {}

    private final SnapshotSource source;
    private final EventListener events;
    private final ExecutorService pool;
    private final long flushBytes;
    private final int flushFiles;

    private final Set<String> touchedDirs = ConcurrentHashMap.newKeySet();
    private TargetTree tree;
    private NameFlush names;

    Restorer(SnapshotSource source, EventListener events, ExecutorService pool, long flushBytes, int flushFiles) {
        this.source = source;
        this.events = events;
        this.pool = pool;
        this.flushBytes = flushBytes;
        this.flushFiles = flushFiles;
    }

    RestoreResult restore(Manifest m, List<String> patterns, Path target, boolean overwrite)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        RestorePlan plan = RestorePlan.check(m, patterns); // every path, before touching the target
        Files.createDirectories(target);
        try (TargetTree t = TargetTree.open(target.toRealPath())) {
            t.lock();
            this.tree = t;
            return restoreInto(plan, overwrite, t0);
        } finally {
            this.tree = null;
        }
    }

    private RestoreResult restoreInto(RestorePlan plan, boolean overwrite, long t0)
            throws IOException, InterruptedException {
        Path root = tree.root();
        RestorePlan.Survey survey = plan.survey(tree);
        int leftovers = survey.leftovers();
        if (leftovers > 0) {
            events.onEvent(Event.of(
                    "backup",
                    "restore-leftovers",
                    Event.Level.INFO,
                    "removed " + leftovers + (leftovers == 1 ? " temp file" : " temp files")
                            + " an interrupted restore left in " + root,
                    Map.of("files", leftovers)));
        }
        Set<String> same = RestorePlan.alreadyRestored(tree, pool, survey.present());
        List<String> conflicts = new ArrayList<>();
        for (FileEntry f : survey.present()) {
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

        List<Future<Outcome>> futures = new ArrayList<>();
        List<RestoreResult.Unrestored> unrestored = new ArrayList<>();
        long bytes = 0;
        long files = 0;
        boolean ok = false;
        try (NameFlush n = new NameFlush(tree, flushBytes, flushFiles, touchedDirs)) {
            this.names = n;
            try {
                for (FileEntry f : plan.chosen()) {
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
                n.finish();
                ok = true;
            } finally {
                if (!ok) {
                    abandon(futures);
                }
            }
        }
        // the names, once per folder: restored files survive a power cut
        for (String rel : touchedDirs) {
            try (TargetTree.Lease dir = tree.dir(rel)) {
                FolderFiles.fsyncDir(dir.dir());
            }
        }
        unrestored.sort(Comparator.comparing(RestoreResult.Unrestored::path));
        return new RestoreResult(
                plan.snapshotId(),
                root,
                files,
                bytes,
                Duration.ofNanos(System.nanoTime() - t0),
                same.size(),
                leftovers,
                unrestored);
    }

    /**
     * After a failure: files not started are skipped, the few being written finish and are
     * deleted, a running flush completes (its files are whole and checked), and every temp file
     * still waiting goes. No temp file is left behind, and nothing is written after this returns.
     */
    private void abandon(List<Future<Outcome>> futures) {
        names.abandon();
        try {
            for (Future<Outcome> fu : futures) {
                try {
                    fu.get();
                } catch (ExecutionException e) {
                    // the first failure is the one reported
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        names.discard();
    }

    /** The folder of {@code f}, made (with the missing ones above it) if it is not there yet. */
    private TargetTree.Lease folder(FileEntry f, String rel) throws IOException {
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
        if (names.abandoned()) {
            return new Outcome(0, null); // the restore failed: files not yet started are not written
        }
        String dirRel = TargetTree.parent(f.path());
        try (TargetTree.Lease folder = folder(f, dirRel)) {
            return writeOne(f, dirRel, folder.dir());
        }
    }

    /** Writes {@code f} in its folder, held open by the caller. */
    private Outcome writeOne(FileEntry f, String dirRel, SecureDirectoryStream<Path> dir) throws IOException {
        String name = TargetTree.name(f.path());
        if (f.link() != null) {
            return writeLink(f, dirRel, dir, name);
        }
        String tmp = TargetTree.tempName();
        MessageDigest md = ObjectStore.sha256();
        ByteBuffer buf = ObjectStore.BUFFERS.get();
        long n = 0;
        boolean ok = false;
        ReadableByteChannel in;
        try {
            in = source.openObjectChannel(f.sha256());
        } catch (NoSuchFileException e) {
            return failed(f, "object missing from " + source.describe());
        } catch (IOException e) {
            return failed(f, "object unreadable: " + e.getMessage());
        }
        try {
            try (in;
                    SeekableByteChannel out = FolderFiles.create(dir, tmp, f.mode())) {
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
                    FolderFiles.chmod(dir, tmp, f.mode());
                } catch (UnsupportedOperationException e) {
                    // not POSIX
                }
            }
            names.written(new NameFlush.Written(dirRel, tmp, name, n));
            ok = true;
        } finally {
            if (!ok) {
                FolderFiles.deleteQuietly(dir, tmp);
            }
        }
        return new Outcome(n, null);
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
        } catch (NoSuchFileException e) {
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
            FolderFiles.rename(tree.rootDir(), tmp, dir, name);
            moved = true;
        } finally {
            if (!moved) {
                FolderFiles.deleteQuietly(tree.rootDir(), tmp);
            }
        }
        touchedDirs.add(dirRel);
        return new Outcome(target.length, null);
    }
}
