package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.EventListener;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * One supervised tunnel as {@link TunnelManager} holds it: the handle of its thread ({@code
 * lifeline-tunnel-NAME}, running {@link Keeper}), which starts ssh, watches it and the link, and
 * rebuilds it. Other threads read the status ({@link StatusBoard}) and ask the thread to stop
 * ({@link StopSignal}); stopping waits for the thread without holding any lock, so its last event
 * may take the daemon's lock.
 */
final class Tunnel {
    /** ssh gets {@link SshRun#STOP_TIMEOUT} to exit; the thread is waited for three times that at most. */
    private static final Duration JOIN_TIMEOUT = SshRun.STOP_TIMEOUT.multipliedBy(3);

    private final TunnelSpec spec;
    private final StatusBoard board;
    private final StopSignal signal = new StopSignal();
    private final Keeper keeper;
    private final ReentrantLock lock = new ReentrantLock();
    private Thread thread; // guarded by lock

    Tunnel(
            TunnelSpec spec,
            TunnelManager.Options options,
            EventListener events,
            Clock clock,
            LongSupplier nanos,
            RandomGenerator random) {
        this.spec = spec;
        this.board = new StatusBoard(
                spec, clock, SshCommandLine.display(SshCommandLine.argv(options.sshProgram(), spec, Session.PTY)));
        this.keeper = new Keeper(
                new TunnelParts(
                        spec,
                        options,
                        clock,
                        nanos,
                        board,
                        new TunnelEvents(spec.name(), events),
                        signal,
                        new ClockWatch(clock, nanos, options.clockJump())),
                random);
    }

    TunnelSpec spec() {
        return spec;
    }

    /** Starts the tunnel's thread, unless it was asked to stop before it ever started. */
    void start() {
        lock.lock();
        try {
            if (signal.requested() || thread != null) {
                return;
            }
            thread = new Thread(keeper, "lifeline-tunnel-" + spec.name());
            thread.setDaemon(true);
            thread.start();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the thread to stop and returns at once: ends ssh now (TERM), so a probe waiting on it
     * returns, and wakes the thread. Safe to call twice, and before {@link #start}.
     */
    void requestStop() {
        signal.request();
    }

    /** Stops ssh and the thread; waits for both (holding no lock). Safe to call twice. */
    void stop() {
        requestStop();
        awaitStopped();
    }

    /** Waits for the thread to end (it stops ssh on its way out). Call without holding any lock. */
    void awaitStopped() {
        Thread t;
        lock.lock();
        try {
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    TunnelStatus status() {
        return board.snapshot();
    }

    /** Waits until the state is one of {@code states}, or the timeout passes; returns the status then. */
    TunnelStatus await(Set<TunnelState> states, Duration timeout) {
        return board.await(states, timeout);
    }
}
