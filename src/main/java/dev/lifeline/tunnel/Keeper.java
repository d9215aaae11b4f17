package dev.lifeline.tunnel;

import dev.lifeline.core.LifelineException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * The loop of a tunnel's thread: resolve where ssh connects ({@code ssh -G}), run an {@link
 * Attempt}, and decide what follows how it ended, until a stop is requested. A failure retrying
 * cannot fix makes the tunnel {@code failed} with its reason, and the thread waits for the stop.
 * Anything else is retried: at once after a working link died, after a clock jump, when the server
 * became reachable again, or when the server refused Lifeline's session; otherwise after the
 * {@link Backoff} delay (500 ms doubling to 15 s, ±20%), which a clock jump or the server becoming
 * reachable again cuts short.
 *
 * <p>The thread ({@code lifeline-tunnel-NAME}) is the only one that starts or stops ssh, writes the
 * status and emits the tunnel's events; its last event is {@code stopped}.
 */
final class Keeper implements Runnable {
    private final TunnelParts parts;
    private final Backoff backoff;
    private SshTarget target;

    Keeper(TunnelParts parts, RandomGenerator random) {
        this.parts = parts;
        this.backoff = new Backoff(parts.options().backoffMin(), parts.options().backoffMax(), random);
    }

    @Override
    public void run() {
        StatusBoard board = parts.board();
        TunnelEvents events = parts.events();
        StopSignal signal = parts.signal();
        parts.clockWatch().reset();
        try {
            target = SshTarget.resolve(parts.options().sshProgram(), parts.spec());
            SessionFallback session = new SessionFallback(board, events); // for the tunnel's life
            int attempt = 0;
            long downSince = -1;
            while (!signal.requested()) {
                Attempt.Ended end = new Attempt(parts, target, session).run(downSince);
                if (signal.requested()) {
                    break;
                }
                Problem p = end.problem();
                if (p.kind() == Problem.Kind.SESSION_REFUSED) {
                    // not an outage (the link was fine): the same tunnel again, at once, without a session
                    board.set(board.state(), p.message());
                    continue;
                }
                if (end.wasUp()) {
                    attempt = 0;
                    downSince = end.endedAtNanos();
                    events.down(p);
                }
                if (p.permanent()) {
                    board.set(TunnelState.FAILED, p.text(), p.hint());
                    events.failed(p);
                    signal.awaitRequest();
                    break;
                }
                if (downSince < 0) {
                    downSince = end.endedAtNanos();
                }
                boolean immediate =
                        p.kind() == Problem.Kind.CLOCK_JUMP || p.kind() == Problem.Kind.NETWORK_RETURNED || end.wasUp();
                Duration delay = immediate ? Duration.ZERO : backoff.delay(++attempt);
                board.set(
                        end.wasUp() || board.snapshot().reconnects() > 0 || attempt > 0
                                ? TunnelState.RECONNECTING
                                : TunnelState.CONNECTING,
                        p.message(),
                        p.hint());
                events.retrying(p, delay);
                pause(delay, p.kind() == Problem.Kind.UNREACHABLE);
            }
        } catch (LifelineException e) {
            String text = e.hint() == null ? e.getMessage() : e.getMessage() + " → " + e.hint();
            board.set(TunnelState.FAILED, text, e.hint());
            events.failed(text, e.getMessage());
        } catch (RuntimeException e) {
            board.set(TunnelState.FAILED, "internal error: " + e);
            events.failed(e.toString(), e.toString());
        } finally {
            events.stopped();
        }
    }

    /**
     * Waits out a backoff delay; returns early when stopped, when the clock jumps, or (with {@code
     * watchReach}, after "cannot reach") when the server, unreachable at first, accepts a TCP
     * connection again.
     */
    private void pause(Duration delay, boolean watchReach) {
        long end = nanos() + delay.toNanos();
        boolean wasReachable = !watchReach || target.directHost().isEmpty() || target.directConnects();
        while (!parts.signal().requested() && nanos() < end) {
            parts.signal()
                    .await(Math.min(SshTarget.REACH_EVERY_MILLIS, TimeUnit.NANOSECONDS.toMillis(end - nanos()) + 1));
            if (parts.clockWatch().jumped()) {
                return;
            }
            if (!wasReachable && target.directConnects()) {
                return;
            }
        }
    }

    private long nanos() {
        return parts.nanos().getAsLong();
    }
}
