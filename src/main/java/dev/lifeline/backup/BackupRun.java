package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.Files;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One backup, as steps: scan → hash and store what changed → write the snapshot (or, for a
 * reconciling scan, append to the journal). Runs under the writer lock, taken by the caller.
 */
final class BackupRun {
    private static final int BATCH_FILES = 4096;
    private static final long BATCH_BYTES = 256L << 20;

    private final Repository repo;
    private final Scanner scanner;
    private final EventListener events;
    private final Clock clock;
    private final ExecutorService pool;
    private final List<FileEntry> storedEntries = new ArrayList<>();
    private final List<java.nio.file.Path> unsettledFiles = new ArrayList<>();

    BackupRun(Repository repo, Scanner scanner, EventListener events, Clock clock, ExecutorService pool) {
        this.repo = repo;
        this.scanner = scanner;
        this.events = events;
        this.clock = clock;
        this.pool = pool;
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

    private Future<?> inflight;

    private void awaitCommit() throws IOException, InterruptedException {
        if (inflight == null) {
            return;
        }
        try {
            inflight.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            inflight = null;
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
            List<FileEntry> batch = storeBatch(changed.subList(start, i), stored, committer);
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
        awaitCommit();
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
        List<FileEntry> out = storeBatch(files, stored, null);
        awaitCommit();
        return out;
    }

    /** With a committer, the commit runs there and {@link #awaitCommit} must follow before the entries are used. */
    private List<FileEntry> storeBatch(List<Scanner.Scanned> files, long[] stored, ExecutorService committer)
            throws IOException, InterruptedException {
        List<Future<ObjectStore.Staged>> futures = new ArrayList<>();
        List<SafeOpen.Watch> watches = new ArrayList<>();
        for (Scanner.Scanned s : files) {
            SafeOpen.Watch watch = repo.store().watch();
            watches.add(watch);
            futures.add(pool.submit(() -> {
                try {
                    return repo.store().stage(s, events, watch);
                } catch (NoSuchFileException gone) {
                    return null;
                } finally {
                    if (watch.abandoned()) {
                        compensate(-1); // back from an open given up: the thread added for it goes
                    }
                }
            }));
        }
        List<ObjectStore.Staged> staged = new ArrayList<>();
        IOException failure = null;
        for (int k = 0; k < futures.size(); k++) {
            try {
                ObjectStore.Staged st = await(futures, watches, files, k);
                staged.add(st);
            } catch (ExecutionException e) {
                staged.add(null);
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            } catch (InterruptedException e) {
                futures.forEach(x -> x.cancel(true));
                repo.store()
                        .discard(staged.stream()
                                .filter(java.util.Objects::nonNull)
                                .toList());
                throw e;
            }
        }
        List<ObjectStore.Staged> present =
                staged.stream().filter(java.util.Objects::nonNull).toList();
        if (failure != null) {
            repo.store().discard(present);
            throw failure;
        }
        List<FileEntry> out = new ArrayList<>();
        for (int k = 0; k < files.size(); k++) {
            ObjectStore.Staged st = staged.get(k);
            if (st == null) {
                continue;
            }
            if (!repo.store().has(st.sha256())) {
                stored[0]++;
                stored[1] += st.size();
            }
            Scanner.Scanned s = files.get(k);
            // changed while being read: mtime 0 makes the next scan read it again (a link's target
            // was read in one call)
            Scanner.Scanned after = s.link() != null ? s : scanner.stat(s.file());
            long mtime = after != null && after.size() == st.size() && after.mtimeNanos() == s.mtimeNanos()
                    ? s.mtimeNanos()
                    : 0;
            out.add(new FileEntry(s.path(), st.size(), mtime, s.mode(), st.sha256(), s.link()));
        }
        awaitCommit();
        if (committer == null) {
            repo.store().commit(present);
        } else {
            inflight = committer.submit(() -> {
                repo.store().commit(present);
                return null;
            });
        }
        return out;
    }

    /**
     * A staging task's result. Its open runs on the pool thread without a guard of its own, so the
     * wait here is the guard, for every task of the batch still running: an open that takes longer
     * than {@link SafeOpen#FIFO_WAIT} (a FIFO swapped in) is nudged every {@code FIFO_WAIT}, and one
     * still stuck after {@link SafeOpen#GIVE_UP} (the FIFO was unlinked, or a device) is given up:
     * its file is skipped with a warning, and the pool gets a thread more for as long as the stuck
     * one is blocked.
     */
    private ObjectStore.Staged await(
            List<Future<ObjectStore.Staged>> futures, List<SafeOpen.Watch> watches, List<Scanner.Scanned> files, int k)
            throws ExecutionException, InterruptedException {
        while (true) {
            if (watches.get(k).abandoned()) {
                return null;
            }
            try {
                return futures.get(k).get(SafeOpen.FIFO_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException slow) {
                for (int j = k; j < watches.size(); j++) {
                    guard(watches.get(j), files.get(j));
                }
            }
        }
    }

    private void guard(SafeOpen.Watch watch, Scanner.Scanned s) {
        Duration opening = watch.opening();
        if (opening == null || opening.compareTo(SafeOpen.FIFO_WAIT) < 0) {
            return; // queued, hashing, or only just opening
        }
        if (opening.compareTo(SafeOpen.GIVE_UP) < 0) {
            watch.nudge();
        } else if (watch.abandon()) {
            compensate(1);
            events.onEvent(Event.of(
                    "backup",
                    "skipped",
                    Event.Level.WARN,
                    s.file() + " did not open within " + SafeOpen.GIVE_UP.toSeconds()
                            + " s (a FIFO or device swapped in?); skipped",
                    Map.of("path", s.path())));
        }
    }

    /** Grows (or shrinks back) a fixed pool by the threads stuck in opens given up. */
    private void compensate(int delta) {
        if (pool instanceof java.util.concurrent.ThreadPoolExecutor tpe) {
            synchronized (tpe) {
                if (delta > 0) {
                    tpe.setMaximumPoolSize(tpe.getMaximumPoolSize() + delta);
                    tpe.setCorePoolSize(tpe.getCorePoolSize() + delta);
                } else {
                    tpe.setCorePoolSize(tpe.getCorePoolSize() + delta);
                    tpe.setMaximumPoolSize(tpe.getMaximumPoolSize() + delta);
                }
            }
        }
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

    static boolean exists(java.nio.file.Path p) {
        return Files.exists(p);
    }
}
