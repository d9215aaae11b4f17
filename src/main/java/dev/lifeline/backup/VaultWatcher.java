package dev.lifeline.backup;

import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous protection of the vault's sources: a new or changed file is stored as soon as it
 * is complete (a PNG when its IEND chunk is written, any other file once unchanged for
 * {@code backup.watch.quiet}), a reconciling scan every {@code backup.watch.reconcile} (and after
 * an event overflow) catches what events missed, and a snapshot is cut every
 * {@code backup.schedule} (then mirrored, when a remote is configured). This class runs the
 * schedule and owns the threads; {@link SourceFollower} sees the files, {@link Intake} stores them
 * (and retries a full disk), {@link WatchFacts} counts what {@link #facts()} reports.
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
    private final ScheduledExecutorService worker;
    private final ExecutorService uploader;
    private final ExecutorService hashPool;
    private final SourceFollower follower;
    private final Intake intake;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reconcileQueued = new AtomicBoolean();
    private final AtomicLong reconciles = new AtomicLong();
    private final AtomicBoolean evaluateQueued = new AtomicBoolean();
    private final WatchFacts facts = new WatchFacts();
    private final LatestSnapshot latest;
    private final String retention;
    private final String remote;

    /** How many seen files are not stored yet, and why (null while nothing failed: they are being written). */
    public record Unprotected(int files, String reason) {}

    private VaultWatcher(Vault vault, EventListener events) throws IOException {
        this.vault = vault;
        this.events = events;
        this.follower = new SourceFollower(vault.scanner(), vault.spec().sources(), new Changes(), events);
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> named(r, "lifeline-vault-store"));
        this.uploader = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(1), // one queued push is enough: it sends everything
                r -> named(r, "lifeline-vault-upload"),
                new ThreadPoolExecutor.DiscardPolicy());
        this.hashPool = vault.pool("watch-hash", 2);
        this.intake = new Intake(vault, events, facts, hashPool, worker, this::evaluate);
        this.latest = new LatestSnapshot(vault.spec().repository());
        this.retention = BackupFacts.retention(vault.spec().retention());
        this.remote = BackupFacts.remote(vault.spec());
    }

    /** What the watch thread sees, handed to the store thread. */
    private final class Changes implements SourceFollower.Changes {
        @Override
        public void touched(Path file) {
            intake.touch(file);
        }

        @Override
        public void missed() {
            queueReconcile();
        }

        @Override
        public boolean settle() {
            if (evaluateQueued.compareAndSet(false, true)) {
                try {
                    worker.execute(VaultWatcher.this::evaluate); // coalesced: one queued evaluation at a time
                } catch (RejectedExecutionException e) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void followed(Path root) {
            queueEvaluate();
        }
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
            }
            w.follower.start();
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

    private void queueEvaluate() {
        if (!closed.get() && evaluateQueued.compareAndSet(false, true)) {
            try {
                worker.execute(this::evaluate);
            } catch (RejectedExecutionException e) {
                evaluateQueued.set(false);
            }
        }
    }

    private void queueReconcile() {
        if (reconcileQueued.compareAndSet(false, true)) {
            try {
                worker.execute(this::reconcile);
            } catch (RejectedExecutionException e) {
                reconcileQueued.set(false);
            }
        }
    }

    /** On the store thread: stores every pending file that is complete. */
    private void evaluate() {
        evaluateQueued.set(false);
        if (intake.idle() || closed.get()) {
            return;
        }
        intake.evaluate();
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
        return intake.unprotected();
    }

    private void reconcile() {
        reconcileQueued.set(false);
        if (closed.get()) {
            return;
        }
        try {
            intake.reconcile();
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
            intake.forgetStored();
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
        follower.close();
        worker.shutdownNow();
        uploader.shutdownNow();
        hashPool.shutdownNow();
        try {
            worker.awaitTermination(30, TimeUnit.SECONDS);
            uploader.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
