package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import dev.lifeline.core.Event;
import dev.lifeline.process.ProcessIdentity;
import dev.lifeline.process.ProcessTree;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Watches the current run: the readiness wait (polled every 100 ms until ready or past {@code
 * ready.timeout}), the health checks after ready, and the 250 ms watch (an adopted process's
 * liveness, restart-above-memory, the saved command line, log rotation). Probes and /proc reads run
 * on the service's thread without the lock; the verdict is judged under it against the generation
 * the probe was for. A run that fails a check is killed on the service's thread, and its exit
 * takes the runner's exit path, which decides the restart.
 */
final class RunChecks {
    private static final long READY_POLL_MILLIS = 100;
    static final long WATCH_MILLIS = 250;

    /** The runner's exit path: the main process of generation {@code gen} ended ({@code code} null: unknown). */
    interface Exits {
        void exited(long gen, Integer code);
    }

    private final RunState st;
    private final ServiceThread thread;
    private final ReadyWaiters waiters;
    private final Stopper stopper;
    private final LogRotation rotation;
    private final Clock clock;
    private final Exits exits;
    /** Only the service's thread counts it. */
    private int ticks;

    RunChecks(RunState st, ServiceThread thread, ReadyWaiters waiters, Stopper stopper, Clock clock, Exits exits) {
        this.st = st;
        this.thread = thread;
        this.waiters = waiters;
        this.stopper = stopper;
        this.clock = clock;
        this.exits = exits;
        this.rotation = new LogRotation(st.name, st.log, st.outbox);
    }

    /** Starts the readiness wait for generation {@code g}. Under the lock. */
    void awaitReady(long g) {
        thread.schedule(() -> pollReady(g), 0);
    }

    /** Starts the health checks for generation {@code g}, if the service has any. Under the lock. */
    void watchHealth(long g) {
        st.spec
                .health()
                .ifPresent(h -> thread.schedule(() -> pollHealth(g), h.every().toMillis()));
    }

    // ------------------------------------------------------------------ readiness

    private void pollReady(long g) {
        ServiceSpec s;
        LogScanner sc;
        Instant started;
        synchronized (st) {
            if (!st.current(g) || st.life.state() != ServiceState.STARTING) {
                return;
            }
            s = st.spec;
            sc = st.scanner;
            started = st.life.startedAt();
        }
        ServiceSpec.Ready r = s.ready();
        boolean ok = switch (r.kind()) {
            case HTTP -> Probes.http(s.port().orElseThrow(), r.httpPath(), 2000);
            case TCP -> Probes.tcp(s.port().orElseThrow(), 1000);
            case LOG -> sc != null && sc.matches();
            case NONE -> Duration.between(started, clock.instant()).compareTo(r.after()) >= 0 && stillRunning(g);
        };
        String otherPort = "";
        if (!ok && (r.kind() == ServiceSpec.Ready.Kind.HTTP || r.kind() == ServiceSpec.Ready.Kind.TCP)) {
            long off;
            synchronized (st) {
                off = st.runOffset;
            }
            if (Duration.between(started, clock.instant()).compareTo(r.timeout()) > 0) {
                otherPort = Readiness.otherPort(
                        LogFiles.tailFrom(st.log, off, 200), s.port().orElseThrow());
            }
        }
        synchronized (st) {
            if (!st.current(g) || st.life.state() != ServiceState.STARTING) {
                return;
            }
            if (ok) {
                Optional<Lifecycle.Recovery> rec = st.life.ready(r.kind() != ServiceSpec.Ready.Kind.NONE);
                double secs = st.life.readySeconds();
                st.save();
                emit(
                        "ready",
                        Event.Level.INFO,
                        st.name + " ready" + s.port().map(p -> " on :" + p).orElse("") + " after "
                                + Wording.seconds(secs) + "s",
                        Map.of("seconds", secs));
                rec.ifPresent(x -> emit(
                        "recovered",
                        Event.Level.INFO,
                        st.name + " is ready again after " + x.downSeconds() + "s down (restart " + x.restarts() + ")",
                        Map.of("restarts", x.restarts(), "downSeconds", x.downSeconds())));
                waiters.ready(st.status());
                s.health()
                        .ifPresent(h ->
                                thread.schedule(() -> pollHealth(g), h.every().toMillis()));
            } else if (Duration.between(st.life.startedAt(), clock.instant()).compareTo(r.timeout()) > 0) {
                String why = "not ready within " + Wording.human(r.timeout()) + " (" + Readiness.describe(s) + ")"
                        + otherPort;
                emit("ready-timeout", Event.Level.ERROR, st.name + ": " + why, Map.of());
                waiters.fail(st.name + ": " + why);
                killForRestart(why, "killed-not-ready");
            } else {
                thread.schedule(() -> pollReady(g), READY_POLL_MILLIS);
            }
        }
        st.outbox.flush();
    }

    private boolean stillRunning(long g) {
        Process p;
        ProcessIdentity id;
        synchronized (st) {
            if (!st.current(g)) {
                return false;
            }
            p = st.process;
            id = st.identity;
        }
        return p != null ? p.isAlive() : id != null && id.isAlive();
    }

    // ------------------------------------------------------------------ liveness

    private void pollHealth(long g) {
        ServiceSpec s;
        synchronized (st) {
            if (!st.current(g) || st.life.state() != ServiceState.READY) {
                return;
            }
            s = st.spec;
        }
        if (s.health().isEmpty()) {
            return;
        }
        boolean ok = HealthCheck.probe(s.port().orElseThrow(), s.health().get());
        synchronized (st) {
            // The settings may have changed live while the probe ran: judge by the current ones.
            Optional<ServiceSpec.Health> now = st.spec.health();
            if (!st.current(g) || st.life.state() != ServiceState.READY || now.isEmpty()) {
                return;
            }
            ServiceSpec.Health h = now.get();
            HealthCheck health = st.health;
            switch (health.record(ok, h)) {
                case OK -> {}
                case ANSWERS_AGAIN ->
                    emit("healthy-again", Event.Level.INFO, st.name + " answers its health check again", Map.of());
                case FAILED, UNHEALTHY ->
                    emit(
                            "health-failed",
                            Event.Level.WARN,
                            st.name + ": health check failed (" + health.failures() + " of " + h.failures() + "): "
                                    + HealthCheck.describe(h, s.port().orElseThrow()),
                            Map.of("failures", health.failures()));
            }
            if (health.failures() >= h.failures()) {
                String why = "unhealthy: " + health.failures() + " health checks failed in a row";
                emit("unhealthy", Event.Level.ERROR, st.name + " is " + why + "; restarting", Map.of());
                killForRestart(why, "killed-unhealthy");
            } else {
                thread.schedule(() -> pollHealth(g), h.every().toMillis());
            }
        }
        st.outbox.flush();
    }

    /** Ends the current run so the exit path restarts it. Under the lock; the kill runs on the service's thread, off it. */
    private void killForRestart(String why, String how) {
        st.life.killing(why);
        st.killedAs = how;
        st.save();
        long g = st.gen;
        ProcessTree.Scope sc = st.scope();
        boolean adopted = st.process == null;
        String sig = st.spec.stop().signal();
        Duration timeout = st.spec.stop().timeout();
        thread.execute(() -> {
            stopper.terminate(sc, sig, timeout);
            if (adopted) {
                exits.exited(g, null); // adopted: no exit event will come
            }
        });
    }

    // ------------------------------------------------------------------ the watch

    /** Every 250 ms: an adopted process's liveness; every second: memory, the command line, log rotation. */
    void tick() {
        ticks++;
        long g;
        ProcessIdentity id;
        boolean adopted;
        ServiceSpec s;
        ProcessTree.Scope sc = null;
        synchronized (st) {
            s = st.spec;
            g = st.gen;
            id = st.identity;
            adopted = st.process == null;
            if (!st.life.state().isRunning() || id == null) {
                id = null;
            } else {
                sc = st.scope();
            }
        }
        if (id != null) {
            if (adopted && !id.isAlive()) {
                exits.exited(g, null);
                return;
            }
            if (ticks % 4 == 0) {
                checkMemory(g, sc, s);
                refreshCommand(g, id);
            }
        }
        if (ticks % 4 == 0) {
            rotation.maybeRotate(s.logs(), this::logRotated);
        }
        st.outbox.flush();
    }

    /** Restart-above-memory counts everything the service started, workers out of its session too. */
    private void checkMemory(long g, ProcessTree.Scope sc, ServiceSpec s) {
        Optional<ResourceWatch.Over> over = ResourceWatch.overMemory(sc, s);
        if (over.isEmpty()) {
            return;
        }
        synchronized (st) {
            ServiceState state = st.life.state();
            if (st.current(g) && state.isRunning() && state != ServiceState.UNHEALTHY) {
                String why = over.get().why();
                emit(
                        "memory-restart",
                        Event.Level.WARN,
                        st.name + ": " + why,
                        Map.of("rssBytes", over.get().rssBytes()));
                if (state == ServiceState.STARTING) {
                    waiters.fail(st.name + ": " + why + " while it was starting");
                }
                killForRestart(why, "killed-for-memory");
            }
        }
    }

    /** The saved command line follows the process's own (setsid, prlimit and sh exec into the program). */
    private void refreshCommand(long g, ProcessIdentity id) {
        String cmd = StateWriter.commandOf(id);
        synchronized (st) {
            if (st.current(g) && st.commandChanged(cmd) && st.life.state().isRunning()) {
                st.save();
            }
        }
    }

    /** Log rotation moved {@code moved} bytes out of the log: shift the offsets. Returns the scanner to tell. */
    private LogScanner logRotated(long moved) {
        synchronized (st) {
            return st.rotated(moved);
        }
    }

    private void emit(String type, Event.Level level, String message, Map<String, Object> fields) {
        st.outbox.emit(type, level, message, fields);
    }
}
