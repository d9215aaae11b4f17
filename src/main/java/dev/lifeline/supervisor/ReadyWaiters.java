package dev.lifeline.supervisor;

import dev.lifeline.core.LifelineException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The future that {@code whenReady} callers wait on for the current start (contract C5): completed
 * with the status once ready, failed with the reason and the last lines this run wrote to its log.
 * Completions go through the {@link Outbox}, so no waiting client runs under the lock. Guarded by
 * the runner's lock.
 */
final class ReadyWaiters {
    private final RunState st;
    private CompletableFuture<ServiceStatus> future = new CompletableFuture<>();

    ReadyWaiters(RunState st) {
        this.st = st;
    }

    /** A new start: a fresh future once the last one is done. */
    void renew() {
        if (future.isDone()) {
            future = new CompletableFuture<>();
        }
    }

    /** What callers get: a copy, so none of them can complete it. */
    CompletableFuture<ServiceStatus> copy() {
        return future.copy();
    }

    /** Ready: completes the future with {@code status} (after the lock is released). */
    void ready(ServiceStatus status) {
        CompletableFuture<ServiceStatus> w = future;
        st.outbox.later(() -> w.complete(status));
    }

    /** The start failed: fails the future with {@code why} and the log's last lines of this run, unless done. */
    void fail(String why) {
        if (!future.isDone()) {
            fail(new LifelineException(why, hint()));
        }
    }

    /** The start failed: fails the future with {@code e} (after the lock is released). */
    void fail(LifelineException e) {
        CompletableFuture<ServiceStatus> w = future;
        st.outbox.later(() -> w.completeExceptionally(e));
    }

    /** Where the log is, and the last lines of this run. */
    String hint() {
        List<String> tail = LogFiles.tailFrom(st.log, st.runOffset, 15);
        return "log: " + st.log
                + (tail.isEmpty()
                        ? " (this run wrote nothing)"
                        : "; the last lines of this run:\n    " + String.join("\n    ", tail));
    }
}
