package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One backup, as steps: scan → hash and store what changed (in batches of 4,096 files or 256 MiB,
 * by {@link BatchStore}) → write the snapshot (or, for a reconciling scan, append to the journal).
 * A rescan whose list fingerprint, or whose paths, sizes, mtimes and modes, match the parent's
 * stores nothing and writes no snapshot. Runs under the writer lock, taken by the caller.
 */
final class BackupRun {
    private static final int BATCH_FILES = 4096;
    private static final long BATCH_BYTES = 256L << 20;

    private final Repository repo;
    private final Scanner scanner;
    private final EventListener events;
    private final Clock clock;
    private final ExecutorService pool;
    private final BatchStore batches;
    private final List<FileEntry> storedEntries = new ArrayList<>();
    private final List<java.nio.file.Path> unsettledFiles = new ArrayList<>();

    BackupRun(Repository repo, Scanner scanner, EventListener events, Clock clock, ExecutorService pool) {
        this.repo = repo;
        this.scanner = scanner;
        this.events = events;
        this.clock = clock;
        this.pool = pool;
        this.batches = new BatchStore(repo, scanner, events, pool);
    }

    /**
     * @param cut write a snapshot; otherwise record what was stored in the journal only
     */
    BackupResult run(boolean cut) throws IOException, InterruptedException {
        return run(cut, s -> true);
    }

    /**
     * @param settled files failing it (still being written) are left for the watcher, listed in
     *     {@link #unsettled()}; only used without {@code cut}
     */
    BackupResult run(boolean cut, java.util.function.Predicate<Scanner.Scanned> settled)
            throws IOException, InterruptedException {
        // batch k is fsynced and renamed on this thread while batch k+1 is read and hashed
        ExecutorService committer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lifeline-vault-commit");
            t.setDaemon(true);
            return t;
        });
        try {
            return runSteps(cut, settled, committer);
        } finally {
            committer.shutdownNow();
        }
    }

    private BackupResult runSteps(
            boolean cut, java.util.function.Predicate<Scanner.Scanned> settled, ExecutorService committer)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        repo.store().cleanTmp();
        Repository.Heads heads = repo.readHeads();
        Manifest.Head parentHead =
                heads.ok().isEmpty() ? null : heads.ok().get(heads.ok().size() - 1);
        // a newest manifest that cannot be read is no parent: noticed, skipped, and a complete snapshot follows
        Repository.Bad newestBad = heads.newestIfBad();
        String corrupt = newestBad == null ? null : newestBad.id() + " (" + newestBad.problem() + ")";
        Snapshot parentSnap = parentHead == null ? null : parentHead.summary();
        boolean printed = parentHead != null && parentHead.listPrint() != null && corrupt == null;
        // an older parent without a list fingerprint is parsed while the sources are walked;
        // otherwise only when the walk shows a change
        Future<Manifest> parentManifest = parentSnap == null || printed
                ? null
                : pool.submit(() -> repo.manifest(parentHead.summary().id()));
        List<FileEntry> journal = repo.journal().read();

        // step 1: scan
        Scanner.Walk walk = scanner.scan(pool);
        List<Scanner.Scanned> scanned = walk.files();
        emit("scanned", "scanned " + scanned.size() + " files", Map.of("files", scanned.size()));
        if (printed && journal.isEmpty() && scanned.size() == parentSnap.files()) {
            if (parentHead.listPrint().equals(walk.print().value()) && whole(parentSnap.id())) {
                long total = 0;
                for (Scanner.Scanned s : scanned) {
                    total += s.size();
                }
                return BackupResult.nothingNew(
                        parentSnap.id(), scanned.size(), total, Duration.ofNanos(System.nanoTime() - t0));
            }
        }
        List<FileEntry> parentFiles = List.of();
        if (parentSnap != null) {
            Manifest pm;
            try {
                pm = parentManifest != null ? parentManifest.get() : repo.manifest(parentSnap.id());
            } catch (ExecutionException | IOException e) {
                Throwable c = e instanceof ExecutionException ? e.getCause() : e;
                if (!(c instanceof IOException) || c instanceof NoSuchFileException) {
                    throw c instanceof IOException io ? io : new IOException(c);
                }
                if (corrupt == null) {
                    corrupt = parentSnap.id() + " (" + c.getMessage() + ")";
                }
                pm = null;
            }
            // the newest one that reads whole is the parent (its hashes spare reading unchanged files)
            for (int k = heads.ok().size() - 2; pm == null && k >= 0; k--) {
                try {
                    pm = repo.manifest(heads.ok().get(k).summary().id());
                } catch (IOException e) {
                    // older and unreadable too: verify names it
                }
            }
            parentSnap = pm == null ? null : pm.summary();
            parentFiles = pm == null ? List.of() : pm.files();
        }
        if (corrupt != null) {
            events.onEvent(Event.of(
                    "backup",
                    "snapshot-corrupt",
                    Event.Level.WARN,
                    "snapshot " + corrupt + " cannot be read: it is not used as a parent, and this backup writes a"
                            + " complete snapshot",
                    Map.of("corrupt", corrupt)));
        }
        Map<String, FileEntry> known = new HashMap<>(parentFiles.size() * 2);
        for (FileEntry e : parentFiles) {
            known.put(e.path(), e);
        }
        for (FileEntry e : journal) {
            known.put(e.path(), e);
        }

        // step 2: hash and store the new and changed ones
        Map<String, FileEntry> current = new LinkedHashMap<>();
        List<Scanner.Scanned> changed = new ArrayList<>();
        long totalBytes = 0;
        // the common no-change rescan: same paths, sizes, mtimes and modes as the parent
        if (corrupt == null && journal.isEmpty() && parentSnap != null && scanned.size() == parentFiles.size()) {
            boolean identical = true;
            long total = 0;
            for (Scanner.Scanned s : scanned) {
                FileEntry k = known.get(s.path());
                if (k == null
                        || k.size() != s.size()
                        || k.mtimeNanos() != s.mtimeNanos()
                        || s.mtimeNanos() == 0
                        || k.mode() != s.mode()
                        || !java.util.Objects.equals(k.link(), s.link())) {
                    identical = false;
                    break;
                }
                total += s.size();
            }
            if (identical) {
                return BackupResult.nothingNew(
                        parentSnap.id(), scanned.size(), total, Duration.ofNanos(System.nanoTime() - t0));
            }
        }
        for (Scanner.Scanned s : scanned) {
            FileEntry k = known.get(s.path());
            if (k != null
                    && k.size() == s.size()
                    && k.mtimeNanos() == s.mtimeNanos()
                    && s.mtimeNanos() != 0
                    && java.util.Objects.equals(k.link(), s.link())) {
                current.put(
                        s.path(), new FileEntry(s.path(), s.size(), s.mtimeNanos(), s.mode(), k.sha256(), s.link()));
            } else if (!cut && !settled.test(s)) {
                unsettledFiles.add(s.file());
            } else {
                changed.add(s);
                current.put(s.path(), null);
            }
            totalBytes += s.size();
        }
        long[] stored = new long[2];
        long hashedBytes = 0;
        List<FileEntry> fresh = new ArrayList<>();
        int i = 0;
        while (i < changed.size()) {
            int start = i;
            long bytes = 0;
            while (i < changed.size() && i - start < BATCH_FILES && bytes < BATCH_BYTES) {
                bytes += changed.get(i++).size();
            }
            List<FileEntry> batch = batches.store(changed.subList(start, i), stored, committer);
            for (FileEntry e : batch) {
                current.put(e.path(), e);
                hashedBytes += e.size();
            }
            fresh.addAll(batch);
            emit(
                    "progress",
                    "stored " + i + "/" + changed.size() + " changed files",
                    Map.of("done", i, "total", changed.size(), "bytes", hashedBytes));
        }
        batches.awaitCommit();
        current.values().removeIf(java.util.Objects::isNull); // vanished while storing

        storedEntries.addAll(fresh);
        if (!cut) {
            repo.journal().append(fresh);
            return new BackupResult(
                    null,
                    parentSnap == null ? null : parentSnap.id(),
                    current.size(),
                    totalBytes,
                    changed.size(),
                    hashedBytes,
                    stored[0],
                    stored[1],
                    Duration.ofNanos(System.nanoTime() - t0));
        }

        // what the watcher stored since the last snapshot stays even if the source lost it since
        for (FileEntry j : journal) {
            current.putIfAbsent(j.path(), j);
        }
        List<FileEntry> files = new ArrayList<>(current.values());
        files.sort(java.util.Comparator.comparing(FileEntry::path));
        long bytes = files.stream().mapToLong(FileEntry::size).sum();

        // step 3: write the snapshot, unless nothing changed
        String id = null;
        if (parentSnap == null || corrupt != null || !sameFiles(parentFiles, files)) {
            if (files.isEmpty() && parentSnap != null && parentSnap.files() > 0) {
                events.onEvent(Event.of(
                        "backup",
                        "sources-empty",
                        Event.Level.WARN,
                        "every source is empty or missing; keeping snapshot " + parentSnap.id() + " as the latest",
                        Map.of("parent", parentSnap.id())));
            } else {
                Instant now = clock.instant();
                id = Repository.newId(now);
                Manifest m = new Manifest(
                        id,
                        now,
                        Repository.hostName(),
                        parentSnap == null ? null : parentSnap.id(),
                        repo.sourcePaths(),
                        files);
                repo.writeManifest(m);
                emit(
                        "snapshot",
                        "snapshot " + id + ": " + files.size() + " files",
                        Map.of("id", id, "files", files.size(), "bytes", bytes));
            }
        }
        repo.journal().clear();
        return new BackupResult(
                id,
                parentSnap == null ? null : parentSnap.id(),
                files.size(),
                bytes,
                changed.size(),
                hashedBytes,
                stored[0],
                stored[1],
                Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * Whether the parent's manifest is whole, for the no-change rescan that does not parse it: its
     * last bytes are checked, and only when they look wrong is it parsed to be sure.
     */
    private boolean whole(String id) {
        if (repo.looksWhole(id)) {
            return true;
        }
        try {
            repo.manifest(id);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Files a reconciling scan left alone because they were still being written. */
    List<java.nio.file.Path> unsettled() {
        return List.copyOf(unsettledFiles);
    }

    /** What this run read and stored. */
    List<FileEntry> stored() {
        return List.copyOf(storedEntries);
    }

    /** Stores these files (hash while copying, in parallel), then commits them as one batch. */
    List<FileEntry> storeBatch(List<Scanner.Scanned> files, long[] stored) throws IOException, InterruptedException {
        List<FileEntry> out = batches.store(files, stored, null);
        batches.awaitCommit();
        return out;
    }

    private static boolean sameFiles(List<FileEntry> a, List<FileEntry> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            FileEntry x = a.get(i);
            FileEntry y = b.get(i);
            // field by field: a record's generated equals is slow in a JVM that has just started
            if (x.size() != y.size()
                    || x.mtimeNanos() != y.mtimeNanos()
                    || x.mode() != y.mode()
                    || !x.path().equals(y.path())
                    || !x.sha256().equals(y.sha256())
                    || !java.util.Objects.equals(x.link(), y.link())) {
                return false;
            }
        }
        return true;
    }

    private void emit(String type, String message, Map<String, Object> fields) {
        events.onEvent(Event.of("backup", type, Event.Level.INFO, message, fields));
    }
}
