package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The status of one tunnel as other threads see it: state and since when, reconnects, the latest
 * error and its hint, round trip, each remote end's last answer, the ssh command and pid, and the
 * session. The tunnel's thread writes it; {@code tunnel status}, the daemon and the dashboard read
 * snapshots, and callers of {@code up} can await a state.
 *
 * <p>The lock is held only to copy fields: never across an emit, a probe or a process call, so a
 * reader never waits on the link. Readers awaiting a state give it up while they wait.
 */
final class StatusBoard {
    private final TunnelSpec spec;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // guarded by lock
    private TunnelState state = TunnelState.CONNECTING;
    private Instant since;
    private int reconnects;
    private String lastError;
    private String lastHint;
    private Long rttMillis;
    private final Boolean[] answers;
    private String command;
    private long pid = -1;
    private String session = "pty";

    /** @param command the ssh command line shown before the first start */
    StatusBoard(TunnelSpec spec, Clock clock, String command) {
        this.spec = spec;
        this.clock = clock;
        this.command = command;
        this.answers = new Boolean[spec.forwards().size()];
        this.since = clock.instant();
    }

    TunnelStatus snapshot() {
        lock.lock();
        try {
            List<TunnelStatus.ForwardStatus> fs = new ArrayList<>();
            for (int i = 0; i < answers.length; i++) {
                TunnelSpec.Forward f = spec.forwards().get(i);
                fs.add(new TunnelStatus.ForwardStatus(f.local(), f.remote(), Optional.ofNullable(answers[i])));
            }
            return new TunnelStatus(
                    spec.name(),
                    state,
                    reconnects,
                    Optional.ofNullable(lastError),
                    Optional.ofNullable(lastHint),
                    Optional.ofNullable(rttMillis),
                    fs,
                    command,
                    pid,
                    since,
                    session);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the state is one of {@code states}, or the timeout passes; returns the status then. */
    TunnelStatus await(Set<TunnelState> states, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!states.contains(state)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        return snapshot();
    }

    TunnelState state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    /** The latest round trip, or null before one. */
    Long rttMillis() {
        lock.lock();
        try {
            return rttMillis;
        } finally {
            lock.unlock();
        }
    }

    void set(TunnelState s, String error) {
        set(s, error, null);
    }

    /**
     * @param error the problem in words, or null to keep the latest one
     * @param hint what to do about {@code error}, or null; kept with it until the next error
     */
    void set(TunnelState s, String error, String hint) {
        lock.lock();
        try {
            if (state != s) {
                since = clock.instant();
            }
            state = s;
            if (error != null) {
                lastError = error;
                lastHint = hint;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Counts a link rebuilt after being up; returns the count. */
    int reconnected() {
        lock.lock();
        try {
            return ++reconnects;
        } finally {
            lock.unlock();
        }
    }

    /** ssh started: its command line and pid. */
    void started(String command, long pid) {
        lock.lock();
        try {
            this.command = command;
            this.pid = pid;
        } finally {
            lock.unlock();
        }
    }

    /** ssh is gone. */
    void ended() {
        lock.lock();
        try {
            pid = -1;
        } finally {
            lock.unlock();
        }
    }

    /** @param rtt the link check's round trip; negative when none was measured (ssh's keepalives watch the link) */
    void rtt(long rtt) {
        if (rtt < 0) {
            return;
        }
        lock.lock();
        try {
            rttMillis = rtt;
        } finally {
            lock.unlock();
        }
    }

    /** The remote ends' answers, one per forward, and the round trip (null: keep the last). */
    void probed(List<Boolean> now, Long rtt) {
        lock.lock();
        try {
            for (int i = 0; i < answers.length; i++) {
                answers[i] = now.get(i);
            }
            if (rtt != null) {
                rttMillis = rtt;
            }
        } finally {
            lock.unlock();
        }
    }

    /** @param text {@code pty}, or {@code plain -N: …} with why the server gave no session */
    void session(String text) {
        lock.lock();
        try {
            session = text;
        } finally {
            lock.unlock();
        }
    }
}
