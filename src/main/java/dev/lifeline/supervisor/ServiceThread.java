package dev.lifeline.supervisor;

import dev.lifeline.core.Event;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A service's own thread, {@code lifeline-service-<name>}, so a hung service cannot delay another's
 * checks: the one pending step (the next readiness or health probe, or the launch after a backoff;
 * scheduling one replaces the last), a fixed-delay watch, and one-off work such as ending a tree.
 * A step that throws is reported as an {@code internal-error} event, and what it queued in the
 * {@link Outbox} is delivered after it. Once detached, new work is dropped: the next daemon takes
 * over. The pending step is guarded by the runner's lock.
 */
final class ServiceThread {
    private final String name;
    private final Outbox outbox;
    private final ScheduledThreadPoolExecutor worker;

    // Guarded by the runner's lock.
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> watch;

    ServiceThread(String name, Outbox outbox) {
        this.name = name;
        this.outbox = outbox;
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "lifeline-service-" + name);
            t.setDaemon(true);
            return t;
        });
        w.setRemoveOnCancelPolicy(true);
        this.worker = w;
    }

    /** Runs {@code tick} every {@code millis}, from {@code millis} on. */
    void watchEvery(Runnable tick, long millis) {
        watch = worker.scheduleWithFixedDelay(() -> guarded(tick), millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Makes {@code r} the pending step, in {@code delayMillis}. Under the lock. */
    void schedule(Runnable r, long delayMillis) {
        cancelPending();
        try {
            pending = worker.schedule(() -> guarded(r), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // detached: the next daemon takes over
        }
    }

    /** Cancels the pending step, if any. Under the lock. */
    void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    /** Runs {@code r} on this thread as soon as it is free. */
    void execute(Runnable r) {
        try {
            worker.execute(() -> guarded(r));
        } catch (RejectedExecutionException e) {
            // detached: the next daemon takes over
        }
    }

    /** Cancels the pending step and the watch, under the lock; call {@link #shutdown} after it. */
    void cancelAll() {
        cancelPending();
        if (watch != null) {
            watch.cancel(false);
        }
    }

    /** Ends the thread (interrupting what runs on it). Without the lock. */
    void shutdown() {
        worker.shutdownNow();
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            outbox.emit("internal-error", Event.Level.ERROR, name + ": " + e, Map.of());
        }
        outbox.flush();
    }
}
