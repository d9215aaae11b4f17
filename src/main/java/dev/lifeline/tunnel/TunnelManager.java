package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import dev.lifeline.core.EventListener;
import dev.lifeline.core.LifelineException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Keeps SSH tunnels up: the public face of the tunnel keeper. Each tunnel is the user's own
 * OpenSSH client, supervised by a thread of its own that probes the link, rebuilds it with
 * backoff and reports what is wrong. Closing the manager stops every tunnel; closing twice is
 * harmless.
 *
 * <p>The daemon hosts one manager for the life of the process; the CLI's foreground mode hosts
 * one for the life of the command.
 */
public final class TunnelManager implements AutoCloseable {

    /**
     * Settings that are not per tunnel.
     *
     * @param logDir where {@code tunnel-NAME.log} (ssh's stderr) goes
     * @param sshProgram the OpenSSH client; default {@code ssh} from PATH
     * @param connectTimeout how long one attempt may take to authenticate and open the forwards (default 30 s)
     * @param backoffMin first delay between failed attempts (default 500 ms; the first retry after a
     *     working link died is immediate)
     * @param backoffMax cap of the doubling delay (default 15 s)
     * @param clockJump a wall-clock jump larger than this (sleep/wake) rebuilds the link at once (default 5 s)
     */
    public record Options(
            Path logDir,
            String sshProgram,
            Duration connectTimeout,
            Duration backoffMin,
            Duration backoffMax,
            Duration clockJump) {
        public static Options defaults(Path logDir) {
            return new Options(
                    logDir,
                    "ssh",
                    Duration.ofSeconds(30),
                    Duration.ofMillis(500),
                    Duration.ofSeconds(15),
                    Duration.ofSeconds(5));
        }
    }

    private static final EnumSet<TunnelState> SETTLED =
            EnumSet.of(TunnelState.UP, TunnelState.DEGRADED, TunnelState.FAILED);

    private final Options options;
    private final EventListener events;
    private final Clock clock;
    private final LongSupplier nanos;
    private final Random random = new Random();
    private final Map<String, Tunnel> tunnels = new LinkedHashMap<>();
    private boolean closed;

    public TunnelManager(Options options, EventListener events) {
        this(options, events, Clock.systemUTC(), System::nanoTime);
    }

    /** With an injected wall clock and monotonic clock, so tests can jump time. */
    TunnelManager(Options options, EventListener events, Clock clock, LongSupplier nanos) {
        this.options = options;
        this.events = events;
        this.clock = clock;
        this.nanos = nanos;
    }

    /**
     * Starts keeping {@code spec} up and returns at once (state {@code connecting}). Starting a
     * tunnel that already runs with the same settings is a no-op; with other settings it is
     * restarted with the new ones.
     */
    public TunnelStatus up(TunnelSpec spec) {
        Tunnel existing;
        Tunnel t;
        synchronized (this) {
            if (closed) {
                throw new LifelineException("the tunnel manager is closed");
            }
            existing = tunnels.get(spec.name());
            if (existing != null
                    && existing.spec().equals(spec)
                    && existing.status().state() != TunnelState.FAILED) {
                return existing.status();
            }
            t = new Tunnel(spec, options, events, clock, nanos, random);
            tunnels.put(spec.name(), t);
        }
        // Outside the lock: the old tunnel's last events (and callers of status) must not wait on us.
        if (existing != null) {
            existing.stop();
        }
        t.start(); // a no-op when a down() or close() came in between
        return t.status();
    }

    /** Stops tunnel {@code name} (ssh is ended and its ports are free on return); false if it was not running. */
    public boolean down(String name) {
        Tunnel t;
        synchronized (this) {
            t = tunnels.remove(name);
        }
        if (t == null) {
            return false;
        }
        t.stop();
        return true;
    }

    /** Every tunnel, in the order they were started. */
    public synchronized List<TunnelStatus> status() {
        List<TunnelStatus> out = new ArrayList<>();
        for (Tunnel t : tunnels.values()) {
            out.add(t.status());
        }
        return out;
    }

    public synchronized Optional<TunnelStatus> status(String name) {
        Tunnel t = tunnels.get(name);
        return t == null ? Optional.empty() : Optional.of(t.status());
    }

    /**
     * Waits until tunnel {@code name} is up, degraded or failed (or {@code timeout} passes), for
     * callers that want to report the outcome of {@code up}.
     */
    public TunnelStatus awaitSettled(String name, Duration timeout) {
        Tunnel t;
        synchronized (this) {
            t = tunnels.get(name);
        }
        if (t == null) {
            throw new LifelineException("no tunnel named '" + name + "' is running");
        }
        return t.await(SETTLED, timeout);
    }

    @Override
    public void close() {
        List<Tunnel> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(tunnels.values());
            tunnels.clear();
        }
        // every ssh is told at once, then each is awaited: stopping n tunnels takes as long as one
        for (Tunnel t : all) {
            t.requestStop();
        }
        for (Tunnel t : all) {
            t.awaitStopped();
        }
    }
}
