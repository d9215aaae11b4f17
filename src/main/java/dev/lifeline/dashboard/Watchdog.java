package dev.lifeline.dashboard;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Write deadlines. The JDK's HTTP server writes to blocking sockets without a timeout, so a
 * client that stops reading would hold a thread for ever; a thread inside {@link #guard} longer
 * than its deadline is interrupted, which closes its (interruptible) socket channel and ends the
 * write with an exception. After {@link Guard#close} returns no interrupt can reach the thread.
 */
final class Watchdog implements AutoCloseable {
    private final Map<Thread, Long> deadlines = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    Watchdog() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lifeline-dashboard-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    /** Deadline for the current thread's work until the guard is closed. */
    interface Guard extends AutoCloseable {
        @Override
        void close();
    }

    Guard guard(long millis) {
        Thread t = Thread.currentThread();
        deadlines.put(t, System.nanoTime() + millis * 1_000_000L);
        return () -> {
            deadlines.remove(t);
            Thread.interrupted(); // an interrupt that came just before the removal is not left behind
        };
    }

    private void check() {
        long now = System.nanoTime();
        for (Thread t : deadlines.keySet()) {
            deadlines.computeIfPresent(t, (k, deadline) -> {
                if (now - deadline > 0) {
                    k.interrupt();
                    return null;
                }
                return deadline;
            });
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
