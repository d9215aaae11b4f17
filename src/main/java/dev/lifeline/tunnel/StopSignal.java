package dev.lifeline.tunnel;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How a stop request reaches the tunnel's thread wherever it waits: the flag its loops check, a
 * TERM to the ssh it is watching (so a link check reading ssh's output returns at once), and a
 * wake-up for its timed waits. ssh's exit wakes those waits too.
 *
 * <p>The tunnel's thread is the only one that waits here; any thread may {@link #request} a stop.
 * The lock is held only to set or test the wake-up: {@link Condition#await} gives it up while
 * waiting, and nothing else waits under it.
 */
final class StopSignal {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeup = lock.newCondition();
    private volatile boolean requested;
    private volatile SshRun ssh; // set and cleared by the tunnel's thread
    private boolean woken; // guarded by lock

    /** Asks the thread to stop and returns at once: ends ssh now (TERM) and wakes the thread. Safe to call twice. */
    void request() {
        requested = true;
        SshRun s = ssh;
        if (s != null) {
            s.destroy();
        }
        wake();
    }

    boolean requested() {
        return requested;
    }

    /** The ssh that a stop request ends; its exit wakes the thread. */
    void watch(SshRun s) {
        ssh = s;
        s.process().onExit().thenRun(this::wake);
    }

    /** Forgets the watched ssh (the thread is about to stop it itself). */
    void unwatch() {
        ssh = null;
    }

    /** Ends the current wait, or the next one if the thread is not waiting. */
    void wake() {
        lock.lock();
        try {
            woken = true;
            wakeup.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code millis} (at least 1), unless woken since the last wait or stopping. An
     * interrupt counts as a stop request (and stays set).
     */
    void await(long millis) {
        lock.lock();
        try {
            if (!woken && !requested) {
                wakeup.await(Math.max(1, millis), TimeUnit.MILLISECONDS);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requested = true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a stop is requested (a failed tunnel stays listed, with its reason, until then). */
    void awaitRequest() {
        while (!requested) {
            await(1000);
        }
    }
}
