package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The watcher's store: the files seen and not stored yet, each stored into the objects and the
 * journal once it is complete (a PNG when its IEND chunk is written, any other file once unchanged
 * for {@code backup.watch.quiet}, a link once it exists), and the reconciling scan that stores what
 * events missed. A store that fails on a full disk stores what fits, smallest first, and the rest
 * is retried after a backoff (1 s, doubling up to 1 minute), counted as not protected meanwhile.
 *
 * <p>Runs on the watcher's store thread only (the watch thread adds files through {@link
 * #touch}); {@code stored} events carry {@code path}, {@code sha256}, {@code size} and {@code
 * durableAtMillis}.
 */
final class Intake {
    static final Duration RETRY_FIRST = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofMinutes(1);
    /** The most files stored under one writer lock. */
    private static final int BATCH = 256;

    private static final class Pending {
        long lastChange;
        long size = -1;
        long mtime = -1;

        Pending(long now) {
            this.lastChange = now;
        }
    }

    /** What {@link #storeNow} did: the entries stored, and the files it could not store, with why. */
    record Stored(List<FileEntry> entries, List<Path> failed, String reason) {}

    private final Vault vault;
    private final EventListener events;
    private final WatchFacts facts;
    private final ExecutorService hashPool;
    private final ScheduledExecutorService worker;
    private final Runnable retry;
    private final Map<Path, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, long[]> stored = new HashMap<>(); // store thread only: manifest path → size, mtime
    // storing that failed (a full disk): retried with backoff; store thread writes, any thread reads
    private volatile long retryAtNanos;
    private volatile Duration backoff = RETRY_FIRST;
    private volatile String failure;
    private volatile int unprotectedReported;

    /**
     * @param worker the store thread, where {@code retry} is scheduled after a failed store
     * @param retry runs {@link #evaluate} again (through the watcher, which coalesces evaluations)
     */
    Intake(
            Vault vault,
            EventListener events,
            WatchFacts facts,
            ExecutorService hashPool,
            ScheduledExecutorService worker,
            Runnable retry) {
        this.vault = vault;
        this.events = events;
        this.facts = facts;
        this.hashPool = hashPool;
        this.worker = worker;
        this.retry = retry;
    }

    /** A file was created or changed: it waits until it is complete. Any thread. */
    void touch(Path file) {
        Path name = file.getFileName();
        if (name != null && Scanner.own(name.toString(), 0)) {
            return; // Lifeline's own working file (doctor's probe, a restore's temp): never pending
        }
        long now = System.nanoTime();
        pending.compute(file, (p, old) -> {
            Pending x = old == null ? new Pending(now) : old;
            x.lastChange = now;
            return x;
        });
    }

    boolean idle() {
        return pending.isEmpty();
    }

    /** Files seen but not stored yet, and why (a store that failed). */
    VaultWatcher.Unprotected unprotected() {
        return new VaultWatcher.Unprotected(pending.size(), failure);
    }

    /** The snapshot now holds what was stored: forgetting it keeps memory bounded (a spurious event later costs one re-read). */
    void forgetStored() {
        stored.clear();
    }

    /** Stores every pending file that is complete. */
    void evaluate() {
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
            boolean done = s.link() != null // a link is complete once it exists
                    || (isPng(f)
                            ? vault.repository().store().pngComplete(s) || now - p.lastChange >= 4 * quiet
                            : now - p.lastChange >= quiet);
            if (done) {
                ready.add(f);
                it.remove();
            }
        }
        for (int i = 0; i < ready.size(); i += BATCH) {
            store(ready.subList(i, Math.min(ready.size(), i + BATCH)));
        }
    }

    private void store(List<Path> files) {
        Stored done;
        try {
            done = storeNow(files);
        } catch (RuntimeException e) {
            done = new Stored(List.of(), files, e.getMessage());
        }
        long at = announce(done.entries());
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
        worker.schedule(retry, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stores these files now and records them in the journal, under the writer lock. When the
     * batch does not fit (a full disk), the files are stored one by one, smallest first, so that
     * what fits is stored; the rest are returned as failed.
     */
    private Stored storeNow(List<Path> files) {
        return vault.locked("storing " + files.size() + " new file(s)", () -> {
            List<Scanner.Scanned> scanned = new ArrayList<>();
            for (Path f : files) {
                Scanner.Scanned s = vault.scanner().stat(f);
                if (s != null) {
                    scanned.add(s);
                }
            }
            BackupRun run = vault.run(hashPool);
            List<FileEntry> entries = new ArrayList<>();
            List<Path> failed = new ArrayList<>();
            String reason = null;
            try {
                entries.addAll(run.storeBatch(scanned, new long[2]));
            } catch (IOException e) {
                if (!isDiskFull(e) || scanned.size() <= 1) {
                    throw e;
                }
                reason = message(e);
                List<Scanner.Scanned> bySize = new ArrayList<>(scanned);
                bySize.sort(Comparator.comparingLong(Scanner.Scanned::size));
                for (Scanner.Scanned s : bySize) {
                    try {
                        entries.addAll(run.storeBatch(List.of(s), new long[2]));
                    } catch (IOException one) {
                        if (!isDiskFull(one)) {
                            throw one;
                        }
                        failed.add(s.file());
                    }
                }
            }
            if (!entries.isEmpty()) {
                vault.repository().journal().append(entries);
            }
            return new Stored(entries, failed, reason);
        });
    }

    /** The reconciling scan: stores into the journal what changed and is complete; the rest waits here. */
    void reconcile() {
        try {
            long now = System.currentTimeMillis();
            long quiet = vault.spec().watch().quiet().toMillis();
            Predicate<Scanner.Scanned> settled = s -> {
                long age = now - s.mtimeNanos() / 1_000_000;
                if (s.link() != null) {
                    return true; // a link is complete once it exists
                }
                return isPng(s.file()) ? vault.repository().store().pngComplete(s) || age >= 4 * quiet : age >= quiet;
            };
            BackupRun run = vault.locked("reconciling scan", () -> {
                ExecutorService pool = vault.pool("hash");
                try {
                    BackupRun r = vault.run(pool);
                    r.run(false, settled);
                    return r;
                } finally {
                    pool.shutdownNow();
                }
            });
            long seen = System.nanoTime();
            for (Path f : run.unsettled()) {
                pending.putIfAbsent(f, new Pending(seen));
            }
            List<FileEntry> found = run.stored();
            announce(found);
            if (!found.isEmpty()) {
                events.onEvent(Event.info(
                        "backup",
                        "reconciled",
                        "reconciling scan stored " + found.size() + " file(s) the watcher had not"));
            }
        } catch (RuntimeException e) {
            error("reconciling scan failed: " + e.getMessage());
        }
    }

    /** One {@code stored} event per entry, all durable now; returns when (epoch millis). */
    private long announce(List<FileEntry> entries) {
        long at = System.currentTimeMillis();
        for (FileEntry e : entries) {
            stored.put(e.path(), new long[] {e.size(), e.mtimeNanos()});
            facts.stored(e.mtimeNanos(), at);
            events.onEvent(Event.of(
                    "backup",
                    "stored",
                    Event.Level.INFO,
                    "stored " + e.path(),
                    Map.of("path", e.path(), "sha256", e.sha256(), "size", e.size(), "durableAtMillis", at)));
        }
        return at;
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

    static boolean isDiskFull(IOException e) {
        String m = message(e).toLowerCase(Locale.ROOT);
        return m.contains("no space left") || m.contains("quota");
    }

    private static String message(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private void error(String message) {
        events.onEvent(Event.of("backup", "watch-error", Event.Level.ERROR, message, Map.of()));
    }
}
