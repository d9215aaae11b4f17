package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Continuous protection of the vault's sources: a new or changed file is stored as soon as it
 * is complete (a PNG when its IEND chunk is written, any other file once unchanged for
 * {@code backup.watch.quiet}), a reconciling scan every {@code backup.watch.reconcile} (and after
 * an event overflow) catches what events missed, and a snapshot is cut every
 * {@code backup.schedule} (then mirrored, when a remote is configured).
 *
 * <p>Threads: {@code lifeline-vault-watch} (file events), {@code lifeline-vault-store} (storing,
 * scans, snapshots), {@code lifeline-vault-upload} (mirroring after a snapshot), plus a two-thread
 * hashing pool; all stopped by {@link #close()}, which is
 * idempotent. A failed start leaves nothing running.
 */
public final class VaultWatcher implements AutoCloseable {
    static final Duration TICK = Duration.ofMillis(50);

    private final Vault vault;
    private final EventListener events;
    private final WatchService watchService;
    private final Map<WatchKey, Path> keys = new ConcurrentHashMap<>();
    private final Map<Path, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, long[]> stored = new HashMap<>(); // store thread only: manifest path → size, mtime
    private final ScheduledExecutorService worker;
    private final ExecutorService uploader;
    private final ExecutorService hashPool;
    private final Thread watchThread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reconcileQueued = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong reconciles = new java.util.concurrent.atomic.AtomicLong();
    private final AtomicBoolean evaluateQueued = new AtomicBoolean();
    /** Each source folder (as configured) → the folder's identity when its watch was registered; watch thread only. */
    private final Map<Path, Object> watchedRoots = new HashMap<>();
    /** Each source folder → its own watch (invalid once the folder is gone, even if a new one reuses its inode). */
    private final Map<Path, WatchKey> rootKeys = new ConcurrentHashMap<>();
    // storing that failed (a full disk): retried with backoff; store thread writes, any thread reads
    private volatile long retryAtNanos;
    private volatile Duration backoff = RETRY_FIRST;
    private volatile String failure;
    private volatile int unprotectedReported;
    private final WatchFacts facts = new WatchFacts();
    private final LatestSnapshot latest;
    private final String retention;
    private final String remote;

    static final Duration RETRY_FIRST = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofMinutes(1);
    /** How often the watch thread checks that each source folder is still the one it watches. */
    static final Duration FOLLOW = Duration.ofMillis(200);

    /** How many seen files are not stored yet, and why (null while nothing failed: they are being written). */
    public record Unprotected(int files, String reason) {}

    private static final class Pending {
        final long firstSeen;
        long lastChange;
        long size = -1;
        long mtime = -1;

        Pending(long now) {
            this.firstSeen = now;
            this.lastChange = now;
        }
    }

    private VaultWatcher(Vault vault, EventListener events) throws IOException {
        this.vault = vault;
        this.events = events;
        this.watchService = FileSystems.getDefault().newWatchService();
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> named(r, "lifeline-vault-store"));
        this.uploader = new java.util.concurrent.ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(1), // one queued push is enough: it sends everything
                r -> named(r, "lifeline-vault-upload"),
                new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
        this.hashPool = vault.pool("watch-hash", 2);
        this.watchThread = named(this::watchLoop, "lifeline-vault-watch");
        this.latest = new LatestSnapshot(vault.spec().repository());
        this.retention = BackupFacts.retention(vault.spec().retention());
        this.remote = BackupFacts.remote(vault.spec());
    }

    /**
     * Starts watching every source of {@code vault}'s spec. Missing source folders are created,
     * so that files appearing later are seen.
     *
     * @param events receives {@code stored} (one per file, with {@code path}, {@code sha256},
     *     {@code durableAtMillis}), {@code snapshot}, {@code pushed} and {@code watch-error} events
     */
    public static VaultWatcher start(Vault vault, EventListener events) {
        VaultWatcher w = null;
        try {
            w = new VaultWatcher(vault, events);
            for (Path src : vault.spec().sources()) {
                Files.createDirectories(src);
                Path root = src.toAbsolutePath().normalize();
                w.watchedRoots.put(root, identity(root));
                w.registerTree(root, false);
            }
            w.watchThread.start();
            VaultWatcher self = w;
            long tick = TICK.toMillis();
            w.worker.scheduleWithFixedDelay(self::evaluate, tick, tick, TimeUnit.MILLISECONDS);
            long rec = vault.spec().watch().reconcile().toMillis();
            w.worker.scheduleWithFixedDelay(self::reconcile, 0, rec, TimeUnit.MILLISECONDS);
            long snap = vault.spec().schedule().toMillis();
            w.worker.scheduleWithFixedDelay(self::snapshot, snap, snap, TimeUnit.MILLISECONDS);
            events.onEvent(Event.info(
                    "backup", "watching", "watching " + vault.spec().sources().size() + " source(s)"));
            return w;
        } catch (IOException | RuntimeException e) {
            if (w != null) {
                w.close();
            }
            throw new LifelineException(
                    "cannot watch the backup sources: " + e.getMessage(),
                    "check that backup.sources exist and are readable; on Linux raise fs.inotify.max_user_watches if it is the limit");
        }
    }

    /** Opens the vault for {@code spec} and watches its sources: what the daemon calls. */
    public static VaultWatcher start(dev.lifeline.config.BackupSpec spec, EventListener events) {
        return start(Vault.open(spec, events), events);
    }

    /** Cuts a snapshot now (on the store thread, after what is pending); returns without waiting. */
    public void snapshotSoon() {
        worker.execute(this::snapshot);
    }

    private static Thread named(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void registerTree(Path root, boolean enqueueFiles) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root) && vault.scanner().manifestPath(dir) != null && excludedDir(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                WatchKey k = dir.register(
                        watchService,
                        StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
                keys.put(k, dir);
                if (watchedRoots.containsKey(dir)) {
                    rootKeys.put(dir, k);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (enqueueFiles && attrs.isRegularFile()) {
                    touch(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private boolean excludedDir(Path dir) {
        for (Path src : vault.spec().sources()) {
            Path s = src.toAbsolutePath().normalize();
            if (dir.startsWith(s)) {
                return vault.scanner().excluded(s.relativize(dir));
            }
        }
        return false;
    }

    private void touch(Path file) {
        long now = System.nanoTime();
        pending.compute(file, (p, old) -> {
            Pending x = old == null ? new Pending(now) : old;
            x.lastChange = now;
            return x;
        });
    }

    private void watchLoop() {
        while (!closed.get()) {
            WatchKey key;
            try {
                key = watchService.poll(FOLLOW.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            followRoots();
            if (key == null) {
                continue;
            }
            Path dir = keys.get(key);
            boolean any = false;
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                    queueReconcile();
                    continue;
                }
                if (dir == null || ev.kind() == StandardWatchEventKinds.ENTRY_DELETE) {
                    continue; // deletions never propagate into the vault
                }
                Path child = dir.resolve((Path) ev.context());
                if (Files.isDirectory(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    if (ev.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
                        try {
                            registerTree(child, true); // files may have landed before the registration
                        } catch (IOException e) {
                            queueReconcile();
                        }
                    }
                } else {
                    touch(child);
                    any = true;
                }
            }
            if (!key.reset()) {
                keys.remove(key);
            }
            if (any && !closed.get() && evaluateQueued.compareAndSet(false, true)) {
                try {
                    worker.execute(this::evaluate); // coalesced: one queued evaluation at a time
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
            }
        }
    }

    /**
     * Watches each source folder again when it is not the folder it watched: removed and made
     * again ({@code rm -rf outputs}, then the app or a restore creates it), replaced (moved
     * away), or created after the start. Its files are then all looked at, as for a new folder.
     */
    private void followRoots() {
        for (Map.Entry<Path, Object> r : watchedRoots.entrySet()) {
            Path root = r.getKey();
            Object now = identity(root);
            WatchKey key = rootKeys.get(root);
            if (java.util.Objects.equals(now, r.getValue()) && (now == null || (key != null && key.isValid()))) {
                continue;
            }
            for (Iterator<Map.Entry<WatchKey, Path>> it = keys.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<WatchKey, Path> k = it.next();
                if (k.getValue().startsWith(root)) {
                    k.getKey().cancel(); // still watching the old folder, wherever it went
                    it.remove();
                }
            }
            r.setValue(now);
            if (now != null) {
                try {
                    registerTree(root, true);
                    events.onEvent(Event.info("backup", "watching", "watching " + root + " again (it was replaced)"));
                    queueEvaluate();
                } catch (IOException | RuntimeException e) {
                    r.setValue(null); // try again on the next round
                }
            }
        }
    }

    /** The folder's identity (device and inode), or null when it is not a folder. */
    private static Object identity(Path root) {
        try {
            BasicFileAttributes a = Files.readAttributes(root, BasicFileAttributes.class);
            return a.isDirectory() ? (a.fileKey() == null ? a.creationTime() : a.fileKey()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void queueEvaluate() {
        if (!closed.get() && evaluateQueued.compareAndSet(false, true)) {
            try {
                worker.execute(this::evaluate);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                evaluateQueued.set(false);
            }
        }
    }

    private void queueReconcile() {
        if (reconcileQueued.compareAndSet(false, true)) {
            try {
                worker.execute(this::reconcile);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                reconcileQueued.set(false);
            }
        }
    }

    /** On the store thread: stores every pending file that is complete. */
    private void evaluate() {
        evaluateQueued.set(false);
        if (pending.isEmpty() || closed.get()) {
            return;
        }
        long now = System.nanoTime();
        if (failure != null && now - retryAtNanos < 0) {
            return; // storing failed: wait for the retry (the files stay pending)
        }
        long quiet = vault.spec().watch().quiet().toNanos();
        List<Path> ready = new ArrayList<>();
        for (Iterator<Map.Entry<Path, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Path, Pending> e = it.next();
            Path f = e.getKey();
            Pending p = e.getValue();
            Scanner.Scanned s = vault.scanner().stat(f);
            if (s == null) {
                it.remove(); // gone, excluded, or neither a file nor a link
                continue;
            }
            if (s.size() != p.size || s.mtimeNanos() != p.mtime) {
                p.size = s.size();
                p.mtime = s.mtimeNanos();
                p.lastChange = now;
            }
            long[] last = stored.get(s.path());
            if (last != null && last[0] == s.size() && last[1] == s.mtimeNanos()) {
                it.remove(); // already stored as it is
                continue;
            }
            boolean png = f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png");
            boolean done = s.link() != null // a link is complete once it exists
                    || (png
                            ? vault.repository().store().pngComplete(s) || now - p.lastChange >= 4 * quiet
                            : now - p.lastChange >= quiet);
            if (done) {
                ready.add(f);
                it.remove();
            }
        }
        if (ready.isEmpty()) {
            return;
        }
        for (int i = 0; i < ready.size(); i += 256) {
            store(ready.subList(i, Math.min(ready.size(), i + 256)));
        }
    }

    private void store(List<Path> files) {
        Vault.Stored done;
        try {
            done = vault.storeFiles(files, hashPool);
        } catch (RuntimeException e) {
            done = new Vault.Stored(List.of(), files, e.getMessage());
        }
        long at = System.currentTimeMillis();
        for (FileEntry e : done.entries()) {
            stored.put(e.path(), new long[] {e.size(), e.mtimeNanos()});
            facts.stored(e.mtimeNanos(), at);
            events.onEvent(Event.of(
                    "backup",
                    "stored",
                    Event.Level.INFO,
                    "stored " + e.path(),
                    Map.of("path", e.path(), "sha256", e.sha256(), "size", e.size(), "durableAtMillis", at)));
        }
        if (done.failed().isEmpty()) {
            facts.storeWorks();
            if (failure != null) {
                failure = null;
                backoff = RETRY_FIRST;
                reportUnprotected();
            }
            return;
        }
        // put them back: tried again after the backoff, not at the next reconciling scan
        facts.storeFailed(at);
        long now = System.nanoTime();
        for (Path f : done.failed()) {
            pending.putIfAbsent(f, new Pending(now));
        }
        Duration wait = backoff;
        retryAtNanos = now + wait.toNanos();
        backoff = wait.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : wait.multipliedBy(2);
        boolean first = failure == null;
        failure = done.reason();
        if (first) {
            error("storing new files failed: " + done.reason() + "; retrying in " + wait.toMillis() + " ms");
        }
        reportUnprotected();
        worker.schedule(this::evaluate, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The repository this watcher stores into. */
    public java.nio.file.Path repository() {
        return vault.spec().repository();
    }

    /**
     * The newest snapshot, the lag, the last upload and the failed ones, for status, the dashboard
     * and {@code /metrics}: one {@code stat} of the snapshots folder, nothing else read.
     */
    public BackupFacts facts() {
        return facts.facts(latest.read(), System.currentTimeMillis(), retention, remote);
    }

    /** Files seen but not stored yet, and why (a store that failed), for status, doctor and the dashboard. */
    public Unprotected unprotected() {
        return new Unprotected(pending.size(), failure);
    }

    /**
     * Emits {@code backup-pending} ({@code files}, {@code reason}) when the count of files that
     * storing failed for changes, and once with 0 when they are all stored.
     */
    private void reportUnprotected() {
        String why = failure;
        int n = why == null ? 0 : pending.size();
        if (n == unprotectedReported) {
            return;
        }
        unprotectedReported = n;
        events.onEvent(Event.of(
                "backup",
                "backup-pending",
                n == 0 ? Event.Level.INFO : Event.Level.WARN,
                n == 0 ? "every file seen is stored again" : n + " file(s) not yet protected: " + why + "; retrying",
                n == 0 ? Map.of("files", 0) : Map.of("files", n, "reason", why)));
    }

    static boolean isPng(Path f) {
        return f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png");
    }

    private void reconcile() {
        reconcileQueued.set(false);
        if (closed.get()) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            long quiet = vault.spec().watch().quiet().toMillis();
            Vault.Reconciled r = vault.reconcile(s -> {
                long age = now - s.mtimeNanos() / 1_000_000;
                if (s.link() != null) {
                    return true; // a link is complete once it exists
                }
                return isPng(s.file()) ? vault.repository().store().pngComplete(s) || age >= 4 * quiet : age >= quiet;
            });
            long seen = System.nanoTime();
            for (Path f : r.unsettled()) {
                pending.putIfAbsent(f, new Pending(seen));
            }
            List<FileEntry> found = r.stored();
            long at = System.currentTimeMillis();
            for (FileEntry e : found) {
                stored.put(e.path(), new long[] {e.size(), e.mtimeNanos()});
                facts.stored(e.mtimeNanos(), at);
                events.onEvent(Event.of(
                        "backup",
                        "stored",
                        Event.Level.INFO,
                        "stored " + e.path(),
                        Map.of("path", e.path(), "sha256", e.sha256(), "size", e.size(), "durableAtMillis", at)));
            }
            if (!found.isEmpty()) {
                events.onEvent(Event.info(
                        "backup",
                        "reconciled",
                        "reconciling scan stored " + found.size() + " file(s) the watcher had not"));
            }
        } catch (RuntimeException e) {
            error("reconciling scan failed: " + e.getMessage());
        } finally {
            reconciles.incrementAndGet();
        }
    }

    /** How many reconciling scans have ended (the first runs at start), for tests that must be past it. */
    long reconcilesDone() {
        return reconciles.get();
    }

    private void snapshot() {
        if (closed.get()) {
            return;
        }
        try {
            evaluate();
            BackupResult r = vault.backup();
            // the snapshot now holds what was stored; forgetting it keeps memory bounded in a
            // long-running daemon (a spurious event later costs one re-read, no new object)
            stored.clear();
            if (!r.unchanged() && vault.hasRemote()) {
                uploader.execute(this::push); // uploads never hold up storing new files
            }
        } catch (RuntimeException e) {
            error("scheduled snapshot failed: " + e.getMessage());
        }
    }

    private void push() {
        if (closed.get()) {
            return;
        }
        try {
            PushResult p = vault.push();
            if (p.ok()) {
                facts.pushed(java.time.Instant.now());
            } else {
                facts.pushFailed();
                error("upload to the remote incomplete (" + p.failures().size()
                        + " failure(s)); the next snapshot's push resumes");
            }
        } catch (RuntimeException e) {
            facts.pushFailed();
            error("upload to the remote failed: " + e.getMessage());
        }
    }

    private void error(String message) {
        events.onEvent(Event.of("backup", "watch-error", Event.Level.ERROR, message, Map.of()));
    }

    /** Stops watching; files already stored stay in the journal for the next snapshot. Safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            watchService.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        worker.shutdownNow();
        uploader.shutdownNow();
        hashPool.shutdownNow();
        watchThread.interrupt();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
            uploader.awaitTermination(30, TimeUnit.SECONDS);
            if (watchThread.isAlive()) {
                watchThread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
